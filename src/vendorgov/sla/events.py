"""A contract's service events, a page at a time: filtered by month, category, priority,
location and the clause an event missed (from the stored month results), searchable by the
help desk's id, each event with the clauses it missed."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from litestar.params import FromQuery

from vendorgov import db, paging
from vendorgov.accounts.roles import Principal
from vendorgov.contracts import service as contracts
from vendorgov.errors import InvalidInput
from vendorgov.i18n import _
from vendorgov.paging import Page, PageRequest
from vendorgov.settings import get_settings
from vendorgov.sla.measure import Month
from vendorgov.sla.tables import ClauseResult, ServiceEvent

EVENT_SORTS = {
    "reported_at": ServiceEvent.reported_at,
    "category": ServiceEvent.category,
    "priority": ServiceEvent.priority,
    "location": ServiceEvent.location,
    "external_id": ServiceEvent.external_id,
}


async def event_page(
    principal: Principal,
    contract_id: int,
    *,
    month: str = "",
    category: str = "",
    priority: str = "",
    location: str = "",
    missed: str = "",
    q: str = "",
    request: PageRequest = PageRequest(),
) -> Page:
    """Newest reported first. `missed` (a clause code) needs `month`: what an event missed is
    known only from that month's stored results."""
    await contracts.require_readable(principal, contract_id)
    zone = get_settings().zone
    where = [ServiceEvent.contract == contract_id]
    chosen = Month.from_input(month) if month else None
    if chosen:
        where.append(ServiceEvent.reported_at >= chosen.start_utc(zone).to_pydatetime())
        where.append(ServiceEvent.reported_at < chosen.end_utc(zone).to_pydatetime())
    for column, value in (
        (ServiceEvent.category, category),
        (ServiceEvent.priority, priority),
        (ServiceEvent.location, location),
    ):
        if value:
            where.append(column == value)
    q = q.strip()
    if q:
        where.append(db.icontains(ServiceEvent.external_id, q))
    results = await _results(contract_id, chosen) if chosen else []
    if missed:
        if chosen is None:
            raise InvalidInput.single(
                "month", "required", _("Month: choose the month whose misses to show.")
            )
        ids = [i for r in results if r["code"] == missed for i in r["missed"]]
        where.append(ServiceEvent.id.is_in(ids or [0]))
    page = await paging.fetch_page(
        ServiceEvent,
        ServiceEvent.select(),
        where,
        request,
        EVENT_SORTS,
        [(ServiceEvent.reported_at, False)],
    )
    if not chosen and page.items:  # the months on this page, for each event's misses
        labels = {_month_of(e["reported_at"], zone) for e in page.items}
        results = await _results(contract_id, *[Month.parse(m) for m in sorted(labels)])
    for event in page.items:
        event["missed_clauses"] = [r["code"] for r in results if event["id"] in r["missed"]]
    page.facets = {"clauses": sorted({r["code"] for r in results})}
    return page


def _month_of(at: datetime, zone) -> str:
    if at.tzinfo is None:  # naive timestamps here are UTC
        at = at.replace(tzinfo=UTC)
    return at.astimezone(zone).strftime("%Y-%m")


async def _results(contract_id: int, *months: Month) -> list[dict]:
    rows = await ClauseResult.select(ClauseResult.code, ClauseResult.missed_event_ids).where(
        (ClauseResult.contract == contract_id) & ClauseResult.month.is_in([str(m) for m in months])
    )
    return [{"code": r["code"], "missed": set(json.loads(r["missed_event_ids"]))} for r in rows]


async def event_filters(
    month: FromQuery[str] = "",
    category: FromQuery[str] = "",
    priority: FromQuery[str] = "",
    location: FromQuery[str] = "",
    missed: FromQuery[str] = "",
    q: FromQuery[str] = "",
) -> dict:
    """The events list's query parameters (a Litestar dependency of its page and API)."""
    return locals()
