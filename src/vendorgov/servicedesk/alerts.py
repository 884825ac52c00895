"""Who hears of a service request: the vendor's users when it is filed, the assignee when a
manager gives it to them, the requester when it is resolved, the supervisors of a drafted
complaint; escalations (§9) go to the vendor's managers at 80 % of a threshold and to the
supervisors past it. Each inside the transaction of what happened."""

from __future__ import annotations

from dataclasses import dataclass

from vendorgov.accounts.roles import Role
from vendorgov.notifications.service import Audience, Event, Reach, deliver, notify, reach, when
from vendorgov.servicedesk import access
from vendorgov.settings import get_settings
from vendorgov.vendors.rules import CATEGORY_LABELS


def _params(row: dict, **extra) -> dict:
    return {
        "number": row["number"],
        "category": CATEGORY_LABELS.get(row["category"], (row["category"],) * 2)[1],
        "place": row["location_name"],
        **extra,
    }


def _link(row: dict) -> str:
    return f"/service/requests/{row['id']}"


def _filed(row: dict) -> Event:
    return Event(
        "service.filed",
        f"service_request:{row['id']}:filed",
        _params(row, description=row["description"][:200]),
        _link(row),
    )


def _complaint(row: dict) -> Event:
    return Event(
        "service.complaint", f"service_request:{row['id']}:complaint", _params(row), _link(row)
    )


@dataclass(frozen=True)
class Filing:
    """Who hears of a request about to be filed, read before its transaction."""

    vendor: Reach
    supervisors: Reach | None

    @property
    def empty(self) -> bool:
        return self.vendor.empty and (self.supervisors is None or self.supervisors.empty)


async def filing(vendor_id: int, complaint: bool) -> Filing:
    supervisors = await reach(Audience(roles=(Role.supervisor,))) if complaint else None
    return Filing(await reach(Audience(vendor_ids=(vendor_id,))), supervisors)


async def deliver_filing(row: dict, found: Filing) -> None:
    """filed() and, for a complaint, complaint_drafted(), to whom filing() found."""
    await deliver(_filed(row), found.vendor)
    if found.supervisors is not None:
        await deliver(_complaint(row), found.supervisors)


async def assigned(row: dict) -> None:
    await notify(
        Event(
            "service.assigned",
            f"service_request:{row['id']}:assigned:{row['assignee_id']}",
            _params(row),
            _link(row),
        ),
        Audience(users=(row["assignee_id"],)),
    )


async def resolved(row: dict) -> None:
    await notify(
        Event(
            "service.resolved",
            f"service_request:{row['id']}:resolved",
            _params(row, hours=str(get_settings().service_confirm_hours)),
            _link(row),
        ),
        Audience(users=(row["requested_by"],)),
    )


async def complaint_drafted(row: dict) -> None:
    await notify(_complaint(row), Audience(roles=(Role.supervisor,)))


async def escalated(row: dict, step: str, level: int, before: int) -> None:
    """`level` 1: the vendor's managers; 2: the supervisors (and the managers too when the
    step went past its threshold before anyone was told at 80 %)."""
    params = _params(row, step=step, due=when(row[f"{step}_due_at"]))
    if level >= 1 and before < 1:
        await notify(
            Event("service.due_soon", f"service_request:{row['id']}:{step}:1", params, _link(row)),
            Audience(users=await access.managers_of(row["vendor_id"])),
        )
    if level >= 2:
        await notify(
            Event("service.late", f"service_request:{row['id']}:{step}:2", params, _link(row)),
            Audience(roles=(Role.supervisor,)),
        )
