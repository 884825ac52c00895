"""Inspection plans: a contract's monthly comprehensive inspection and N spot checks at
random places and days, drawn from a stored seed, assigned to supervisors, and done by the
inspection started from the item (see service._carry_out)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from vendorgov import db, paging
from vendorgov.accounts import service as accounts
from vendorgov.accounts.roles import Principal, Role, role_label
from vendorgov.audit import service as audit
from vendorgov.contracts import service as contracts
from vendorgov.errors import Collector, Conflict, Forbidden, InvalidInput, NotFound
from vendorgov.i18n import N_, _
from vendorgov.inspections import rules
from vendorgov.inspections.tables import InspectionPlan, PlanItem
from vendorgov.locations import service as locations
from vendorgov.paging import Page, PageRequest
from vendorgov.settings import get_settings
from vendorgov.sla.measure import Month

PLANNERS = (Role.admin, Role.supervisor)
SEED = re.compile(r"[A-Za-z0-9_-]{1,32}")
MAX_SPOT_CHECKS = 100
DUE_AHEAD_DAYS = 7  # the dashboard lists items due within a week


def _ensure(actor: Principal) -> None:
    if actor.role not in PLANNERS:
        raise Forbidden(
            _("The %(role)s role does not plan inspections.", role=role_label(actor.role))
        )


def month_days(month: Month, first: date, last: date) -> list[date]:
    """The month's days within [first, last] (the contract's term)."""
    day, days = month.first_day, []
    while day < month.next().first_day:
        if first <= day <= last:
            days.append(day)
        day += timedelta(days=1)
    return days


async def _default_spot_checks(contract_id: int) -> int:
    """The contract's setting: what its latest plan used, else the hospital's default."""
    latest = (
        await InspectionPlan.select(InspectionPlan.spot_checks)
        .where(InspectionPlan.contract == contract_id)
        .order_by(InspectionPlan.month, ascending=False)
        .first()
    )
    return latest["spot_checks"] if latest else get_settings().plan_spot_checks


@dataclass
class Planned:
    plan_id: int
    created: bool  # False: the month had its plan already (returned as it is)


async def create_plan(
    actor: Principal,
    contract_id: int,
    month: str,
    spot_checks: int | None = None,
    seed: str = "",
) -> Planned:
    _ensure(actor)
    contract = await contracts.require_readable(actor, contract_id)
    parsed = Month.from_input(month)
    errors = Collector()
    if spot_checks is not None and not 0 <= spot_checks <= MAX_SPOT_CHECKS:
        errors.add(
            "spot_checks",
            "range",
            _("Spot checks: a whole number from 0 to %(n)s.", n=MAX_SPOT_CHECKS),
        )
    if seed and not SEED.fullmatch(seed):
        errors.add("seed", "format", _("Seed: 1 to 32 letters, digits, dashes or underscores."))
    days = month_days(parsed, contract["start_date"], contract["end_date"])
    if not days:
        errors.add(
            "month",
            "in_term",
            _(
                "Month: %(month)s is outside the term of contract %(number)s; choose a month "
                "in it.",
                month=parsed,
                number=contract["number"],
            ),
        )
    errors.raise_if_any()
    count = spot_checks if spot_checks is not None else await _default_spot_checks(contract_id)
    seed = seed or secrets.token_hex(8)
    # No scope on contracts yet: spot checks are drawn from every place of the tree.
    places = [p["id"] for p in await locations.leaves()]
    visits = rules.draw_plan(seed, days, places, count)
    try:
        async with db.transaction():
            await db.serialize(f"inspection_plan:{contract_id}:{parsed}")
            if existing := await _plan_of(contract_id, str(parsed)):
                return Planned(existing, created=False)
            plan = InspectionPlan(
                contract=contract_id,
                month=str(parsed),
                seed=seed,
                spot_checks=count,
                created_by=actor.username,
                created_at=datetime.now(UTC),
            )
            await plan.save()
            await db.insert_all(
                PlanItem,
                [
                    {
                        "plan": plan.id,
                        "kind": v.kind.value,
                        "due_on": v.due_on,
                        "location_id": v.location_id,
                        "status": "pending",
                    }
                    for v in visits
                ],
            )
            await audit.record(
                actor,
                "inspection_plan",
                plan.id,
                "create",
                None,
                {"contract": contract_id, "month": str(parsed), "seed": seed, "spot_checks": count},
            )
    except Exception as error:
        # PostgreSQL: a plan made at the same moment won the unique (contract, month).
        if db.is_unique_violation(error) and (first := await _plan_of(contract_id, str(parsed))):
            return Planned(first, created=False)
        raise
    return Planned(plan.id, created=True)


async def _plan_of(contract_id: int, month: str) -> int | None:
    row = (
        await InspectionPlan.select(InspectionPlan.id)
        .where((InspectionPlan.contract == contract_id) & (InspectionPlan.month == month))
        .first()
    )
    return row["id"] if row else None


async def _items(where, limit: int | None = None) -> list[dict]:
    query = (
        PlanItem.select(
            PlanItem.all_columns(),
            PlanItem.plan.contract.as_alias("contract"),
            PlanItem.plan.contract.number.as_alias("contract_number"),
            PlanItem.plan.month.as_alias("month"),
        )
        .where(where)
        .order_by(PlanItem.due_on)
        .order_by(PlanItem.id)
    )
    rows = await (query.limit(limit) if limit else query)
    names = await locations.names_of([r["location_id"] for r in rows])
    today = datetime.now(get_settings().zone).date()
    return [
        {
            **r,
            "place": names.get(r["location_id"], ""),
            "overdue": r["status"] == "pending" and r["due_on"] < today,
        }
        for r in rows
    ]


async def get_plan(actor: Principal, plan_id: int) -> dict:
    _ensure(actor)
    plan = (
        await InspectionPlan.select(
            InspectionPlan.all_columns(),
            InspectionPlan.contract.number.as_alias("contract_number"),
        )
        .where(InspectionPlan.id == plan_id)
        .first()
    )
    if plan is None:
        raise NotFound(N_("inspection plan"), plan_id)
    return {**plan, "items": await _items(PlanItem.plan == plan_id)}


PLAN_SORTS = {"month": InspectionPlan.month, "contract": InspectionPlan.contract.number}


async def plan_page(
    actor: Principal,
    *,
    contract_id: int | None = None,
    month: str = "",
    q: str = "",
    request: PageRequest = PageRequest(),
) -> Page:
    """A page of the plans, latest month first: filtered by contract and month, searched by
    contract number and vendor name."""
    _ensure(actor)
    where = []
    if contract_id is not None:
        where.append(InspectionPlan.contract == contract_id)
    if month:
        where.append(InspectionPlan.month == str(Month.from_input(month)))
    q = q.strip()
    if q:
        where.append(
            db.icontains(InspectionPlan.contract.number, q)
            | db.icontains(InspectionPlan.contract.vendor.name, q)
        )
    query = InspectionPlan.select(
        InspectionPlan.all_columns(),
        InspectionPlan.contract.number.as_alias("contract_number"),
        InspectionPlan.contract.vendor.name.as_alias("vendor_name"),
    )
    return await paging.fetch_page(
        InspectionPlan, query, where, request, PLAN_SORTS, [(InspectionPlan.month, False)]
    )


async def plan_item(actor: Principal, item_id: int) -> dict:
    _ensure(actor)
    found = await _items(PlanItem.id == item_id)
    if not found:
        raise NotFound(N_("plan item"), item_id)
    return found[0]


async def assign(actor: Principal, item_id: int, assignee_id: int | None) -> dict:
    """Give a pending item to a supervisor (or take it back with None)."""
    _ensure(actor)
    name = ""
    if assignee_id is not None:
        inspectors = [a for role in PLANNERS for a in await accounts.active_accounts(role)]
        match = next((a for a in inspectors if a["user_id"] == assignee_id), None)
        if match is None:
            raise InvalidInput.single(
                "assignee_id",
                "inspector",
                _("Inspector: that person is not an active supervisor; choose another."),
            )
        name = match["username"]
    async with db.transaction():
        changed = (
            await PlanItem.update({PlanItem.assignee_id: assignee_id, PlanItem.assignee: name})
            .where((PlanItem.id == item_id) & (PlanItem.status == "pending"))
            .returning(PlanItem.id)
        )
        if not changed:
            await plan_item(actor, item_id)  # NotFound when there is no such item
            raise Conflict(_("This plan item is done: it can no longer be assigned."), [])
        await audit.record(
            actor, "inspection_plan_item", item_id, "assign", None, {"assignee": name or None}
        )
    return await plan_item(actor, item_id)


def _due(actor: Principal, today: date):
    """Pending items for this supervisor (or no one yet) due within a week or overdue."""
    return (
        (PlanItem.status == "pending")
        & (PlanItem.due_on <= today + timedelta(days=DUE_AHEAD_DAYS))
        & ((PlanItem.assignee_id == actor.user_id) | PlanItem.assignee_id.is_null())
    )


async def due_items(actor: Principal, limit: int | None = None) -> list[dict]:
    """The items due for this supervisor, soonest first (the first `limit` of them)."""
    _ensure(actor)
    today = datetime.now(get_settings().zone).date()
    return await _items(_due(actor, today), limit)


async def due_counts(actor: Principal) -> dict[str, int]:
    """How many items are due for this supervisor and how many of them are overdue: the
    dashboard shows the counts and only the first few items."""
    _ensure(actor)
    today = datetime.now(get_settings().zone).date()
    return {
        "total": await PlanItem.count().where(_due(actor, today)),
        "overdue": await PlanItem.count().where(_due(actor, today) & (PlanItem.due_on < today)),
    }
