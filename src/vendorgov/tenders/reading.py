"""Tenders as each principal may read them (§3): the list, one tender, and what waits on the
principal for the dashboard."""

from __future__ import annotations

from vendorgov.accounts.roles import Principal, Role
from vendorgov.errors import Forbidden, InvalidInput
from vendorgov.tenders import common, rules
from vendorgov.tenders.bidding import my_bids, vendor_view
from vendorgov.tenders.evaluation import evaluate
from vendorgov.tenders.rules import Method, Status
from vendorgov.tenders.tables import Bid, Invitation, PanelMember, Tender


async def list_tenders(principal: Principal, status: str = "") -> list[dict]:
    query = Tender.select().order_by(Tender.bid_deadline, ascending=False)
    if status and status not in rules.STATUS_LABELS:
        raise InvalidInput.single(
            "status", "choice", f"one of {', '.join(rules.STATUS_LABELS)}, or empty for all"
        )
    if status:
        query = query.where(Tender.status == status)
    if principal.is_vendor:
        mine = await Bid.select(Bid.tender).where(Bid.vendor == principal.vendor_id)
        invited = await Invitation.select(Invitation.tender).where(
            Invitation.vendor == principal.vendor_id
        )
        categories = await common.vendor_categories(principal)
        # The same rule as common.ensure_reader: an invited tender only for the invited.
        query = query.where(
            (
                (Tender.status == Status.published.value)
                & Tender.category.is_in(categories or ["-"])
                & (
                    (Tender.method != Method.invited.value)
                    | Tender.id.is_in([i["tender"] for i in invited] or [0])
                )
            )
            | Tender.id.is_in([b["tender"] for b in mine] or [0])
        )
    elif principal.role is Role.evaluator:
        mine = await PanelMember.select(PanelMember.tender).where(
            PanelMember.evaluator == principal.user_id
        )
        query = query.where(Tender.id.is_in([m["tender"] for m in mine] or [0]))
    elif principal.role not in common.STAFF:
        raise Forbidden(f"the {principal.role.value} role has no access to tenders")
    now = common.now()
    rows = [_for(principal, common.decorate(row, now)) for row in await query]
    if principal.role in common.STAFF:  # the number of bidders is not disclosed before opening
        counts = await _active_bid_counts([r["id"] for r in rows])
        for row in rows:
            row["bids_received"] = counts.get(row["id"], 0)
    return rows


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
    """What waits on the principal in tenders, for the dashboard: officers — bids to open,
    evaluations to close, awards to make; evaluators — declarations and scores; vendors —
    open tenders of their categories without their bid."""
    if principal.role not in (Role.procurement, Role.evaluator, Role.vendor):
        return []
    tenders = [
        t
        for t in await list_tenders(principal)
        if t["status"] in ("published", "opened", "evaluated")
    ]
    items = []
    opened = [t for t in tenders if t["status"] == Status.opened]
    members: dict[int, list[dict]] = {t["id"]: [] for t in opened}
    query = PanelMember.select().where(PanelMember.tender.is_in(list(members) or [0]))
    if principal.role is Role.evaluator:
        query = query.where(PanelMember.evaluator == principal.user_id)
    for m in await query:  # one query for every opened tender's panel
        members[m["tender"]].append(m)
    if principal.role is Role.procurement:
        for t in tenders:
            if t["status"] == Status.published and t["deadline_passed"]:
                items.append({"tender": t, "what": "deadline passed: open the bids"})
            elif t["status"] == Status.evaluated:
                items.append({"tender": t, "what": "evaluated: award"})
        for t in opened:
            active = common.active_members(members[t["id"]])
            if active and all(m["submitted_at"] for m in active):
                items.append({"tender": t, "what": "the panel has submitted: close the evaluation"})
    elif principal.role is Role.evaluator:
        for t in opened:
            member = members[t["id"]][0]
            if member["conflict"] or member["submitted_at"]:
                continue
            what = "score the bids" if member["declared_at"] else "declare conflicts of interest"
            items.append({"tender": t, "what": what})
    else:
        mine = {b["tender"] for b in await my_bids(principal) if b["state"] == "active"}
        for t in tenders:
            if t["status"] == Status.published and not t["deadline_passed"] and t["id"] not in mine:
                items.append({"tender": t, "what": "open for bids"})
    return items
