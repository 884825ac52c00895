"""Tenders as each principal may read them (§3): the list, one tender, and what waits on the
principal for the dashboard. The list and the reminders are filtered, sorted and paged in SQL,
so neither reads every tender."""

from __future__ import annotations

from piccolo.columns.combination import WhereRaw

from vendorgov import db, paging
from vendorgov.accounts.roles import Principal, Role, role_label
from vendorgov.errors import Forbidden, InvalidInput
from vendorgov.humane import joined, pair_label
from vendorgov.i18n import _
from vendorgov.paging import DASHBOARD_ITEMS, Page, PageRequest
from vendorgov.tenders import common, results, rules
from vendorgov.tenders.bidding import vendor_view
from vendorgov.tenders.evaluation import evaluate
from vendorgov.tenders.rules import Method, Status
from vendorgov.tenders.tables import Bid, PanelMember, Tender

TENDER_SORTS = {
    "reference": Tender.reference,
    "title": Tender.title,
    "category": Tender.category,
    "bid_deadline": Tender.bid_deadline,
    "status": Tender.status,
}
# A vendor reads the tenders it bid on (any state), an evaluator those of its panels.
_BID_ON = "tender.id IN (SELECT bid.tender FROM bid WHERE bid.vendor = {})"
_INVITED = "tender.id IN (SELECT invitation.tender FROM invitation WHERE invitation.vendor = {})"
_ON_PANEL = "tender.id IN (SELECT panel_member.tender FROM panel_member WHERE evaluator = {})"


async def _tender_where(
    principal: Principal, status: str = "", q: str = "", category: str = ""
) -> list:
    if status and status not in rules.STATUS_LABELS:
        raise InvalidInput.single(
            "status",
            "choice",
            _(
                "Status: choose one of %(statuses)s, or empty for all.",
                statuses=joined(pair_label(label) for label in rules.STATUS_LABELS.values()),
            ),
        )
    where = []
    if principal.is_vendor:
        categories = await common.vendor_categories(principal)
        # The same rule as common.ensure_reader: an invited tender only for the invited.
        where.append(
            (
                (Tender.status == Status.published.value)
                & Tender.category.is_in(categories or ["-"])
                & (
                    (Tender.method != Method.invited.value)
                    | WhereRaw(_INVITED, principal.vendor_id)
                )
            )
            | WhereRaw(_BID_ON, principal.vendor_id)
        )
    elif principal.role is Role.evaluator:
        where.append(WhereRaw(_ON_PANEL, principal.user_id))
    elif principal.role not in common.STAFF:
        raise Forbidden(
            _("The %(role)s role has no access to tenders.", role=role_label(principal.role))
        )
    if status:
        where.append(Tender.status == status)
    if category:
        where.append(Tender.category == category)
    q = q.strip()
    if q:
        where.append(db.icontains(Tender.reference, q) | db.icontains(Tender.title, q))
    return where


async def _decorated(principal: Principal, rows: list[dict]) -> list[dict]:
    now = common.now()
    tenders = [_for(principal, common.decorate(row, now)) for row in rows]
    if principal.role in common.STAFF:  # the number of bidders is not disclosed before opening
        counts = await _active_bid_counts([t["id"] for t in tenders])
        for tender in tenders:
            tender["bids_received"] = counts.get(tender["id"], 0)
    return tenders


async def tender_page(
    principal: Principal, *, request: PageRequest = PageRequest(), **filters
) -> Page:
    """A page of the tenders the principal may read, newest deadline first: filtered by
    status and category, searched by reference and title, sortable by TENDER_SORTS."""
    where = await _tender_where(principal, **filters)
    page = await paging.fetch_page(
        Tender, Tender.select(), where, request, TENDER_SORTS, [(Tender.bid_deadline, False)]
    )
    page.items = await _decorated(principal, page.items)
    return page


def _for(principal: Principal, tender: dict) -> dict:
    """What of a tender a vendor may know: not why the award went where it went."""
    if principal.is_vendor:
        tender["award_reason"] = ""
    return tender


async def _active_bid_counts(tender_ids: list[int]) -> dict[int, int]:
    if not tender_ids:
        return {}
    rows = await Bid.select(Bid.tender).where(
        Bid.tender.is_in(tender_ids) & (Bid.state == "active")
    )
    counts: dict[int, int] = {}
    for row in rows:
        counts[row["tender"]] = counts.get(row["tender"], 0) + 1
    return counts


async def get_tender(principal: Principal, tender_id: int) -> dict:
    row = await common.tender_row(tender_id)
    await common.ensure_reader(principal, row)
    tender = _for(principal, common.decorate(row))
    if principal.role in common.STAFF:
        tender["bids_received"] = (await _active_bid_counts([tender_id])).get(tender_id, 0)
    if row["awarded_bid"] and principal.role in common.STAFF:
        won = next(b for b in (await evaluate(row))["ranked"] if b["id"] == row["awarded_bid"])
        tender["award"] = {k: won[k] for k in ("vendor_name", "price", "rank")}
    if principal.is_vendor:
        mine = await _my_bid(principal, tender_id)
        won = mine is not None and mine["id"] == row["awarded_bid"]
        tender["my_bid"] = vendor_view(mine) if mine else None
        tender["you_won"] = won
        # A vendor knows bids by reference only, its own included.
        tender["awarded_bid"] = None
        if not won:
            tender["contract_id"] = None
    if principal.role is Role.evaluator:
        tender["member"] = await common.member_of(tender_id, principal.user_id)
    return tender


async def _my_bid(principal: Principal, tender_id: int) -> dict | None:
    row = (
        await Bid.select()
        .where((Bid.tender == tender_id) & (Bid.vendor == principal.vendor_id))
        .order_by(Bid.id, ascending=False)
        .first()
    )
    return row


async def reminders(principal: Principal) -> list[dict]:
    """What waits on the principal in tenders, for the dashboard, newest first and at most
    DASHBOARD_ITEMS of each kind: officers — bids to open, evaluations to close, awards to
    make; evaluators — declarations and scores; vendors — open tenders of their categories
    without their bid. Each kind is one bounded query."""
    now = common.now()

    async def newest(*where, what) -> list[dict]:
        query = Tender.select().where(*where).order_by(Tender.id, ascending=False)
        rows = await query.limit(DASHBOARD_ITEMS)
        return [{"tender": t, "what": what} for t in await _decorated(principal, rows)]

    if principal.role is Role.procurement:
        # Opened, with a panel of which every member without a conflict has submitted.
        panel_done = WhereRaw(
            "EXISTS (SELECT 1 FROM panel_member p WHERE p.tender = tender.id AND NOT p.conflict)"
            " AND NOT EXISTS (SELECT 1 FROM panel_member p WHERE p.tender = tender.id"
            " AND NOT p.conflict AND p.submitted_at IS NULL)"
        )
        return (
            await newest(
                Tender.status == Status.published.value,
                Tender.bid_deadline <= now,
                what=_("deadline passed: open the bids"),
            )
            + await newest(Tender.status == Status.evaluated.value, what=_("evaluated: award"))
            + await newest(
                Tender.status == Status.opened.value,
                panel_done,
                what=_("the panel has submitted: close the evaluation"),
            )
            # Results (§3a): notices to publish, challenges to answer, refunds overdue.
            + await results.reminders(principal)
        )
    if principal.role is Role.evaluator:
        seats = (
            await PanelMember.select(PanelMember.tender, PanelMember.declared_at)
            .where(
                (PanelMember.evaluator == principal.user_id)
                & (PanelMember.conflict == False)  # noqa: E712 (a SQL comparison)
                & PanelMember.submitted_at.is_null()
                & (PanelMember.tender.status == Status.opened.value)
            )
            .order_by(PanelMember.tender, ascending=False)
            .limit(DASHBOARD_ITEMS)
        )
        declared = {s["tender"]: s["declared_at"] is not None for s in seats}
        rows = await Tender.select().where(Tender.id.is_in(list(declared) or [0]))
        rows.sort(key=lambda r: -r["id"])
        return [
            {
                "tender": t,
                "what": _("score the bids")
                if declared[t["id"]]
                else _("declare conflicts of interest"),
            }
            for t in await _decorated(principal, rows)
        ]
    if principal.role is Role.vendor:
        categories = await common.vendor_categories(principal)
        return await newest(
            Tender.status == Status.published.value,
            Tender.bid_deadline > now,
            Tender.category.is_in(categories or ["-"]),
            WhereRaw(
                "tender.id NOT IN (SELECT bid.tender FROM bid"
                " WHERE bid.vendor = {} AND bid.state = 'active')",
                principal.vendor_id,
            ),
            what=_("open for bids"),
        )
    return []
