"""Roles (domain rules §1) and the logged-in principal."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from vendorgov.i18n import N_, _


class Role(StrEnum):
    admin = "admin"
    procurement = "procurement"
    evaluator = "evaluator"
    supervisor = "supervisor"
    auditor = "auditor"
    finance = "finance"
    vendor = "vendor"
    # §9: ward staff (their own account, or a ward's shared kiosk) file service requests;
    # the one-stop service centre's agents take the 24-hour hotline's calls.
    ward = "ward"
    agent = "agent"


ROLE_LABELS: dict[Role, tuple[str, str]] = {
    Role.admin: (N_("Administrator"), "系统管理员"),
    Role.procurement: (N_("Procurement officer"), "采购专员"),
    Role.evaluator: (N_("Evaluator"), "评标专家"),
    Role.supervisor: (N_("Supervisor"), "后勤督导"),
    Role.auditor: (N_("Third-party auditor"), "第三方审核"),
    Role.finance: (N_("Finance"), "财务"),
    Role.vendor: (N_("Vendor user"), "服务商用户"),
    Role.ward: (N_("Ward staff"), "科室人员"),
    Role.agent: (N_("Service centre agent"), "服务中心坐席"),
}


def role_label(role: Role) -> str:
    """The role's name in the current language, for messages ("the Finance role …")."""
    return _(ROLE_LABELS[role][0])


# Hospital staff who may read the vendor registry.
REGISTRY_READERS = (Role.admin, Role.procurement, Role.supervisor, Role.finance)
# Who keeps the registry: create, edit, status changes.
REGISTRY_KEEPERS = (Role.admin, Role.procurement)


def parse_role(value: str) -> Role | None:
    try:
        return Role(value)
    except ValueError:
        return None


@dataclass(frozen=True)
class Principal:
    """Who is making a request: what guards, services and the audit trail see."""

    user_id: int
    username: str
    display_name: str
    role: Role
    vendor_id: int | None = None
    # The account's credentials version when this principal was read: a login session keeps
    # it and is valid only while it is current (see accounts.service.end_sessions).
    credentials_version: int = 0
    language: str = ""  # "" until the user chooses one (then the browser's choice applies)

    @property
    def is_vendor(self) -> bool:
        return self.role is Role.vendor

    def can(self, *roles: Role) -> bool:
        return self.role in roles
