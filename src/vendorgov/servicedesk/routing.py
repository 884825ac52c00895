"""Routes (§8): (service category, location subtree) → the contract responsible, kept by
supervisors and administrators. A table of its own rather than derived from the contracts:
contracts do not say which places they cover, and one category is often split between two
vendors by campus or building (the deepest route above a place wins)."""

from __future__ import annotations

from datetime import UTC, datetime

from vendorgov import db, paging
from vendorgov.accounts import service as accounts
from vendorgov.accounts.roles import Principal, Role
from vendorgov.audit import service as audit
from vendorgov.contracts import service as contracts
from vendorgov.errors import Collector, Conflict, InvalidInput, NotFound
from vendorgov.humane import category_label
from vendorgov.i18n import N_, _
from vendorgov.locations import service as locations
from vendorgov.paging import Page, PageRequest
from vendorgov.servicedesk.access import KEEPERS, ensure
from vendorgov.servicedesk.tables import ServiceRoute
from vendorgov.settings import get_settings
from vendorgov.vendors.rules import CATEGORY_LABELS

ROUTE_SORTS = {"category": ServiceRoute.category, "created_at": ServiceRoute.created_at}


async def route_page(actor: Principal, request: PageRequest = PageRequest()) -> Page:
    ensure(actor, KEEPERS, N_("The %(role)s role does not read routes."))
    page = await paging.fetch_page(
        ServiceRoute,
        ServiceRoute.select(),
        [],
        request,
        ROUTE_SORTS,
        [(ServiceRoute.category, True)],
    )
    names = await locations.names_of([r["location_id"] for r in page.items])
    for row in page.items:
        row["place"] = names.get(row["location_id"], "")
        row["contract_row"] = await contracts.routing_target(row["contract"])
    return page


async def add_route(
    actor: Principal, category: str, location_id: int | None, contract_id: int | None
) -> int:
    ensure(actor, KEEPERS, N_("The %(role)s role does not keep routes."))
    errors = Collector()
    if category not in CATEGORY_LABELS:
        errors.add(
            "category",
            "one_of",
            _("Category: use %(categories)s.", categories=", ".join(CATEGORY_LABELS)),
        )
    if location_id is None:
        errors.add(
            "location_id", "required", _("Place: choose the place (a campus for all of it).")
        )
    if contract_id is None:
        errors.add("contract_id", "required", _("Contract: choose the contract."))
    errors.raise_if_any()
    await locations.require_place(location_id)
    try:
        target = await contracts.routing_target(contract_id)
    except NotFound:
        raise InvalidInput.single(
            "contract_id",
            "exists",
            _("Contract: there is no contract %(id)s; choose one.", id=contract_id),
        ) from None
    if target["category"] != category:
        raise InvalidInput.single(
            "contract_id",
            "category",
            _(
                "Contract %(number)s is for %(category)s; choose a contract of this category.",
                number=target["number"],
                category=category_label(target["category"]),
            ),
        )
    taken = Conflict(
        _(
            "A %(category)s route for this place exists: delete it first.",
            category=category_label(category),
        )
    )
    async with db.transaction():
        if await ServiceRoute.exists().where(
            (ServiceRoute.category == category) & (ServiceRoute.location_id == location_id)
        ):
            raise taken
        row = ServiceRoute(
            category=category,
            location_id=location_id,
            contract=contract_id,
            created_at=datetime.now(UTC),
            created_by=actor.username,
        )
        try:
            await row.save()
        except Exception as error:
            if db.is_unique_violation(error):
                raise taken from None
            raise
        await audit.record(
            actor,
            "service_route",
            row.id,
            "create",
            None,
            {"category": category, "location_id": location_id, "contract": contract_id},
        )
    return row.id


async def delete_route(actor: Principal, route_id: int) -> None:
    ensure(actor, KEEPERS, N_("The %(role)s role does not keep routes."))
    async with db.transaction():
        row = await db.locked(ServiceRoute.select().where(ServiceRoute.id == route_id)).first()
        if row is None:
            raise NotFound(N_("route"), route_id)
        await ServiceRoute.delete().where(ServiceRoute.id == route_id)
        await audit.record(
            actor,
            "service_route",
            route_id,
            "delete",
            {
                "category": row["category"],
                "location_id": row["location_id"],
                "contract": row["contract"],
            },
            None,
        )


async def whom_to_ask() -> str:
    """The people a ward asks when no contract takes its request: the supervisors by name,
    and the centre's hotline when it is set."""
    names = [p["display_name"] for p in await accounts.active_accounts(Role.supervisor)]
    hotline = get_settings().service_hotline
    who = "、".join(names[:3]) or _("the logistics office")
    if hotline:
        return _("%(who)s, or the service centre on %(hotline)s", who=who, hotline=hotline)
    return who
