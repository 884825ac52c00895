"""Who sees and does what at the service desk: roles, a ward account's ward and kiosk flag, a
vendor user's duty (manager or worker) and a worker's team; the desk members' upkeep."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from vendorgov import db
from vendorgov.accounts import service as accounts
from vendorgov.accounts.roles import Principal, Role, role_label
from vendorgov.audit import service as audit
from vendorgov.errors import Collector, Forbidden, NotFound
from vendorgov.i18n import N_, _
from vendorgov.locations import service as locations
from vendorgov.servicedesk import rules
from vendorgov.servicedesk.tables import DeskMember

# Who files requests: ward staff and kiosks, the centre's agents (calls taken on a ward's
# behalf), supervisors and administrators.
FILERS = (Role.ward, Role.agent, Role.supervisor, Role.admin)
# Who sees every request, the board and the figures.
CENTRE = (Role.agent, Role.supervisor, Role.admin)
# Who keeps the routes and the desk members, and rules on drafted complaints.
KEEPERS = (Role.supervisor, Role.admin)
# Everyone with a view of some requests (vendors see their own vendor's).
READERS = (*CENTRE, Role.ward, Role.vendor)


@dataclass(frozen=True)
class Desk:
    """A principal with its desk duty: staff or kiosk (ward), manager or worker (vendor)."""

    principal: Principal
    duty: str = ""
    location_id: int | None = None
    location_path: str = ""
    contract_id: int | None = None

    @property
    def is_worker(self) -> bool:
        return self.principal.is_vendor and self.duty == "worker"

    @property
    def is_manager(self) -> bool:
        return self.principal.is_vendor and self.duty == "manager"


def ensure(actor: Principal, roles: tuple[Role, ...], message: str) -> None:
    """`message` is an N_() msgid naming the role as %(role)s."""
    if actor.role not in roles:
        raise Forbidden(_(message, role=role_label(actor.role)))


async def desk(actor: Principal) -> Desk:
    row = await DeskMember.select().where(DeskMember.user_id == actor.user_id).first()
    default = {Role.vendor: "manager", Role.ward: "staff"}.get(actor.role, "")
    if row is None:
        return Desk(actor, default)
    path = ""
    if row["location_id"] is not None:
        path = (await locations.require_place(row["location_id"]))["path"]
    return Desk(actor, row["duty"], row["location_id"], path, row["contract_id"])


def sees(me: Desk, row: dict) -> bool:
    """Whether the request exists for this person (another vendor's does not)."""
    actor = me.principal
    if actor.role in CENTRE:
        return True
    if actor.is_vendor:
        if row["vendor_id"] != actor.vendor_id:
            return False
        return not me.is_worker or me.contract_id in (None, row["contract"])
    if actor.role is Role.ward:
        return row["requested_by"] == actor.user_id or bool(
            me.location_path and row["location_path"].startswith(me.location_path)
        )
    return False


def where(me: Desk) -> list:
    """The same as sees(), as filters of a list."""
    from vendorgov.servicedesk.tables import ServiceRequest as R

    actor = me.principal
    ensure(actor, READERS, N_("The %(role)s role does not read service requests."))
    if actor.role in CENTRE:
        return []
    if actor.is_vendor:
        found = [R.vendor_id == actor.vendor_id]
        if me.is_worker and me.contract_id is not None:
            found.append(R.contract == me.contract_id)
        return found
    own = R.requested_by == actor.user_id
    if me.location_path:
        return [own | R.location_path.like(f"{me.location_path}%")]
    return [own]


async def managers_of(vendor_id: int) -> tuple[int, ...]:
    """The vendor's users who are not workers: who hears of an escalation first."""
    people = await accounts.recipients(vendor_ids=(vendor_id,))
    ids = [p["user_id"] for p in people]
    workers = {
        r["user_id"]
        for r in await DeskMember.select(DeskMember.user_id).where(
            DeskMember.user_id.is_in(ids or [0]) & (DeskMember.duty == "worker")
        )
    }
    return tuple(i for i in ids if i not in workers)


async def worker_of(vendor_id: int, user_id: int, field: str = "assignee_id") -> Principal:
    """An active user of this vendor (whom a manager may assign), or InvalidInput."""
    person = await accounts.principal_for_user(user_id)
    if person is None or not person.is_vendor or person.vendor_id != vendor_id:
        errors = Collector()
        errors.add(field, "vendor_user", _("Assignee: choose one of your company's active users."))
        errors.raise_if_any()
    return person


async def team(vendor_id: int) -> list[dict]:
    """The vendor's active users with their duty, for the assign list."""
    people = await accounts.recipients(vendor_ids=(vendor_id,))
    duties = {
        r["user_id"]: r["duty"]
        for r in await DeskMember.select(DeskMember.user_id, DeskMember.duty).where(
            DeskMember.user_id.is_in([p["user_id"] for p in people] or [0])
        )
    }
    return [
        {
            "user_id": p["user_id"],
            "name": p["display_name"],
            "duty": duties.get(p["user_id"], "manager"),
        }
        for p in sorted(people, key=lambda p: p["display_name"])
    ]


async def set_member(
    actor: Principal,
    user_id: int,
    duty: str,
    location_id: int | None = None,
    contract_id: int | None = None,
) -> dict:
    """Set what an account is at the desk: a ward account's ward (staff or kiosk), a vendor
    user's duty and team. Keepers set anyone's; a vendor's managers set their own company's
    other users' duty and team (another vendor's users do not exist for them)."""
    from vendorgov.contracts import service as contracts

    person = await may_set(actor, user_id)
    errors = Collector()
    if person.role is Role.ward:
        if duty not in rules.WARD_DUTIES:
            errors.add(
                "duty", "one_of", _("Duty: use %(duties)s.", duties=", ".join(rules.WARD_DUTIES))
            )
        if location_id is None:
            errors.add(
                "location_id", "required", _("Ward: a ward account belongs to a ward; choose it.")
            )
        else:
            await locations.require_place(location_id)
        if contract_id is not None:
            errors.add(
                "contract_id",
                "vendor_only",
                _("Team: only vendor workers have a team; leave it empty."),
            )
    elif person.is_vendor:
        if duty not in rules.VENDOR_DUTIES:
            errors.add(
                "duty", "one_of", _("Duty: use %(duties)s.", duties=", ".join(rules.VENDOR_DUTIES))
            )
        if location_id is not None:
            errors.add(
                "location_id",
                "ward_only",
                _("Ward: only ward accounts belong to a ward; leave it empty."),
            )
        if contract_id is not None:
            try:
                target = await contracts.routing_target(contract_id)
            except NotFound:
                target = {"vendor": None}
            if target["vendor"] != person.vendor_id:
                errors.add(
                    "contract_id",
                    "own_vendor",
                    _("Team: choose a contract of the user's own vendor."),
                )
    else:
        errors.add("user_id", "role", _("Account: only ward and vendor accounts have desk duties."))
    errors.raise_if_any()
    values = {
        "duty": duty,
        "location_id": location_id,
        "contract_id": contract_id,
        "updated_at": datetime.now(UTC),
    }
    async with db.transaction():
        before = await db.locked(DeskMember.select().where(DeskMember.user_id == user_id)).first()
        if before is None:
            await DeskMember.insert(DeskMember(user_id=user_id, **values))
        else:
            await DeskMember.update(values).where(DeskMember.user_id == user_id)
        after = {k: v for k, v in values.items() if k != "updated_at"}
        await audit.record(
            actor,
            "desk_member",
            user_id,
            "set",
            {k: before[k] for k in after} if before else None,
            after,
        )
    return {"user_id": user_id, **after}


# Who may open the desk duties page and set duties: keepers, and vendor managers for their
# own company (checked per person by may_set).
DUTY_SETTERS = (*KEEPERS, Role.vendor)


async def ensure_duty_setter(actor: Principal) -> Desk:
    ensure(actor, DUTY_SETTERS, N_("The %(role)s role does not set desk duties."))
    me = await desk(actor)
    if actor.is_vendor and not me.is_manager:
        raise Forbidden(_("Only your company's managers set desk duties; ask one of them."))
    return me


async def may_set(actor: Principal, user_id: int) -> Principal:
    """The account whose desk duty `actor` may set, or NotFound/Forbidden."""
    await ensure_duty_setter(actor)
    person = await accounts.principal_for_user(user_id) if 0 < user_id < 2**31 else None
    if person is None or (
        actor.is_vendor and (not person.is_vendor or person.vendor_id != actor.vendor_id)
    ):
        raise NotFound(N_("account"), user_id)
    if actor.is_vendor and person.user_id == actor.user_id:
        raise Forbidden(
            _("You cannot change your own duty; ask another manager or the service centre.")
        )
    return person
