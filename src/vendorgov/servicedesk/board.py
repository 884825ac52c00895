"""Reading requests: the lists (a ward's own, a vendor's queue, everything for the centre),
the centre's live board (open requests by category, SLA state and age), the caller's recent
requests and the month's figures per category and place."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from vendorgov import db, paging
from vendorgov.accounts.roles import Principal
from vendorgov.errors import InvalidInput
from vendorgov.i18n import N_, _
from vendorgov.paging import DASHBOARD_ITEMS, Page, PageRequest
from vendorgov.servicedesk import rules
from vendorgov.servicedesk.access import CENTRE, desk, ensure, where
from vendorgov.servicedesk.service import decorate
from vendorgov.servicedesk.tables import ServiceRequest as R
from vendorgov.settings import get_settings
from vendorgov.sla.measure import Month
from vendorgov.vendors.rules import CATEGORY_LABELS

REQUEST_SORTS = {
    "reported_at": R.reported_at,
    "number": R.number,
    "category": R.category,
    "priority": R.priority,
    "status": R.status,
    "location": R.location_name,
}
# Open means not yet resolved: what the board and the queues show by default.
OPEN = [s.value for s in rules.OPEN]


def _now() -> datetime:
    return datetime.now(UTC)


async def request_page(
    actor: Principal,
    *,
    status: str = "",
    category: str = "",
    q: str = "",
    mine: bool = False,
    request: PageRequest = PageRequest(),
) -> Page:
    """The requests this person sees (a ward's, a vendor's or a worker's team's, or all),
    oldest open first; `status` "open" for the unresolved, `mine` for those filed by or
    assigned to this person."""
    me = await desk(actor)
    filters = where(me)
    if status == "open":
        filters.append(R.status.is_in(OPEN))
    elif status:
        if status not in {s.value for s in rules.Status}:
            raise InvalidInput.single(
                "status",
                "one_of",
                _("Status: use %(statuses)s.", statuses="open, " + ", ".join(rules.Status)),
            )
        filters.append(R.status == status)
    if category:
        filters.append(R.category == category)
    if mine:
        filters.append((R.requested_by == actor.user_id) | (R.assignee_id == actor.user_id))
    if q.strip():
        text = q.strip()
        filters.append(
            db.icontains(R.number, text)
            | db.icontains(R.location_name, text)
            | db.icontains(R.contact_phone, text)
        )
    page = await paging.fetch_page(
        R, R.select(), filters, request, REQUEST_SORTS, [(R.reported_at, status != "open")]
    )
    now = _now()
    page.items = [decorate(r, now) for r in page.items]
    return page


async def recent_of_caller(actor: Principal, phone: str) -> list[dict]:
    """The newest requests with this contact number (the hotline's "who is calling")."""
    ensure(actor, CENTRE, N_("The %(role)s role does not look up callers."))
    phone = phone.strip()
    if not rules.valid_phone(phone):
        return []
    rows = (
        await R.select()
        .where(R.contact_phone == phone)
        .order_by(R.id, ascending=False)
        .limit(DASHBOARD_ITEMS)
    )
    now = _now()
    return [decorate(r, now) for r in rows]


# The board's counts in one statement: each open request's SLA state and age band as SQL
# (the same rule as rules.sla_state and rules.age_band), grouped.
_PENDING = (
    "(responded_at IS NULL AND response_{0} <= {{}}) "
    "OR (resolved_at IS NULL AND resolution_{0} <= {{}})"
)
_BOARD = (
    "SELECT category, CASE WHEN "
    + _PENDING.format("due_at")
    + " THEN 'breached' WHEN "
    + _PENDING.format("warn_at")
    + " THEN 'warning' ELSE 'ok' END AS state, "
    "CASE WHEN reported_at > {} THEN 0 WHEN reported_at > {} THEN 1 WHEN reported_at > {} "
    "THEN 2 ELSE 3 END AS age, COUNT(*) AS n FROM service_request WHERE status IN ({}, {}, {}) "
    "GROUP BY category, state, age"
)


async def board(actor: Principal, now: datetime | None = None) -> dict:
    """Open requests by category: how many on time, due soon and late, and by age."""
    ensure(actor, CENTRE, N_("The %(role)s role does not read the board."))
    now = now or _now()
    ages = [now - timedelta(hours=limit) for limit, _ in rules.AGE_BANDS if limit is not None]
    rows = await db.fetch(_BOARD, *([now] * 4), *ages, *OPEN)
    by_category: dict[str, dict] = {}
    for row in rows:
        entry = by_category.setdefault(
            row["category"],
            {
                "category": row["category"],
                "label": CATEGORY_LABELS.get(row["category"], (row["category"],) * 2),
                "total": 0,
                "states": dict.fromkeys(("ok", "warning", "breached"), 0),
                "ages": [0] * len(rules.AGE_BANDS),
            },
        )
        entry["total"] += row["n"]
        entry["states"][row["state"]] += row["n"]
        entry["ages"][row["age"]] += row["n"]
    categories = sorted(by_category.values(), key=lambda e: -e["states"]["breached"])
    return {
        "at": now,
        "categories": categories,
        "total": sum(e["total"] for e in categories),
        "late": sum(e["states"]["breached"] for e in categories),
        "due_soon": sum(e["states"]["warning"] for e in categories),
        "age_labels": [label for _, label in rules.AGE_BANDS],
    }


_FIGURES = (
    "SELECT category, location_name AS place, COUNT(*) AS requests, "
    "COUNT(responded_at) AS responded, COUNT(resolved_at) AS resolved, "
    "COUNT(rating) AS rated, SUM(CASE WHEN rating >= 4 THEN 1 ELSE 0 END) AS satisfied, "
    "SUM(CASE WHEN complaint THEN 1 ELSE 0 END) AS complaints "
    "FROM service_request WHERE reported_at >= {} AND reported_at < {} "
    "GROUP BY category, location_name"
)
FIGURE_SORTS = ("category", "place", "requests", "resolved", "complaints")


async def figures(actor: Principal, month: str, request: PageRequest = PageRequest()) -> Page:
    """The month's requests per category and place: filed, responded, resolved, rated, rated
    4–5 and complaints (hospital months, §5)."""
    ensure(actor, CENTRE, N_("The %(role)s role does not read the figures."))
    chosen = Month.from_input(month)
    zone = get_settings().zone
    rows = await db.fetch(
        _FIGURES, chosen.start_utc(zone).to_pydatetime(), chosen.end_utc(zone).to_pydatetime()
    )
    for row in rows:
        row["label"] = CATEGORY_LABELS.get(row["category"], (row["category"],) * 2)
        row["satisfied"] = int(row["satisfied"] or 0)
        row["complaints"] = int(row["complaints"] or 0)
    rows.sort(key=lambda r: (r["category"], r["place"]))
    return paging.page_of(rows, request, FIGURE_SORTS)
