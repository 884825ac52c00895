"""The desk duties page's reads (§9): the people whose duty the viewer may set, chosen by
name, with their duty, ward and team; one person's form choices. Setting a duty is
access.set_member, as the API's PUT /api/service/members/{user_id} does, with its checks."""

from __future__ import annotations

from vendorgov.accounts import service as accounts
from vendorgov.accounts.roles import Principal, Role
from vendorgov.contracts import service as contracts
from vendorgov.errors import NotFound
from vendorgov.locations import service as locations
from vendorgov.servicedesk import rules
from vendorgov.servicedesk.access import ensure_duty_setter, may_set
from vendorgov.servicedesk.tables import DeskMember

DUTY_LABELS = rules.DUTY_LABELS


def _default_duty(role: str) -> str:
    return {Role.vendor.value: "manager", Role.ward.value: "staff"}.get(role, "")


async def _teams(contract_ids: set[int]) -> dict[int, str]:
    found = {}
    for contract_id in sorted(contract_ids):
        try:
            target = await contracts.routing_target(contract_id)
        except NotFound:
            continue
        found[contract_id] = f"{target['number']} · {target['vendor_name']}"
    return found


async def people(actor: Principal, q: str = "") -> list[dict]:
    """The first people by name matching `q` whose duty `actor` may set: for keepers every
    ward and vendor account, for a vendor's manager the company's users."""
    await ensure_duty_setter(actor)
    if actor.is_vendor:
        rows = await accounts.find_people((Role.vendor,), q, actor.vendor_id)
    else:
        rows = await accounts.find_people((Role.ward, Role.vendor), q)
    ids = [r["user_id"] for r in rows]
    members = {
        m["user_id"]: m
        for m in await DeskMember.select().where(DeskMember.user_id.is_in(ids or [0]))
    }
    places = await locations.names_of([m["location_id"] for m in members.values()])
    teams = await _teams({m["contract_id"] for m in members.values() if m["contract_id"]})
    for row in rows:
        member = members.get(row["user_id"]) or {}
        row["duty"] = member.get("duty") or _default_duty(row["role"])
        row["ward"] = places.get(member.get("location_id"), "")
        row["team"] = teams.get(member.get("contract_id"), "")
        row["editable"] = row["user_id"] != actor.user_id or not actor.is_vendor
    return rows


async def person(actor: Principal, user_id: int) -> dict:
    """One person's form: who they are, their duty, ward and team now, and the choices (the
    duties of their role; a vendor user's team among the company's running contracts)."""
    found = await may_set(actor, user_id)
    member = await DeskMember.select().where(DeskMember.user_id == user_id).first() or {}
    vendor_name = ""
    teams: list[dict] = []
    if found.is_vendor:
        page = await contracts.contract_page(
            actor, vendor_id=found.vendor_id, status=contracts.RUNNING
        )
        teams = [{"id": c["id"], "label": f"{c['number']} · {c['title']}"} for c in page.items]
        current = member.get("contract_id")
        if current and all(t["id"] != current for t in teams):
            teams += [{"id": k, "label": v} for k, v in (await _teams({current})).items()]
        vendor_name = (page.items[0]["vendor_name"] if page.items else "") or ""
    place = None
    if member.get("location_id"):
        place = (await locations.names_of([member["location_id"]])).get(member["location_id"])
    return {
        "user_id": user_id,
        "display_name": found.display_name,
        "role": found.role.value,
        "vendor_name": vendor_name,
        "duty": member.get("duty") or _default_duty(found.role.value),
        "location_id": member.get("location_id"),
        "place": place,
        "contract_id": member.get("contract_id"),
        "duties": rules.WARD_DUTIES if found.role is Role.ward else rules.VENDOR_DUTIES,
        "teams": teams,
    }
