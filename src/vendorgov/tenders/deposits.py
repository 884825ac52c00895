"""The bid-security ledger (投标保证金, §3a): the deposit a tender asks (at most 2% of its
budget ceiling), each bidder's deposit received and its refund, due 5 working days after the
award notice for the losing bidders and after the contract's signing for the winner; the
overdue refunds listed for the officers.

Deposits are recorded against the bids, from opening on: before it, who bid is sealed (§3)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from vendorgov import db, paging
from vendorgov.accounts.roles import Principal
from vendorgov.audit import service as audit
from vendorgov.contracts import hooks
from vendorgov.contracts import service as contracts
from vendorgov.errors import Collector, Conflict, Forbidden, InvalidInput, NotFound
from vendorgov.formats import yuan
from vendorgov.i18n import N_, _
from vendorgov.paging import Page, PageRequest
from vendorgov.tenders import common, rules
from vendorgov.tenders import result_rules as deadlines
from vendorgov.tenders.result_dates import calendar_from, local_day, today
from vendorgov.tenders.rules import Status
from vendorgov.tenders.tables import Bid, BidSecurity, ResultNotice, Tender

OVERDUE_SORTS = {"refund_due": BidSecurity.refund_due, "amount": BidSecurity.amount}


def ensure_staff(principal: Principal) -> None:
    if principal.role not in common.STAFF:
        raise Forbidden(_("The bid-security ledger is kept by procurement."))


async def _due_for(row: dict, vendor_id: int) -> date | None:
    """When a deposit must be refunded, once known: the winner's 5 working days after the
    contract's signing, the others' 5 working days after the award notice; everyone's 5
    working days after the tender failed or was cancelled."""
    if row["status"] in (Status.failed.value, Status.cancelled.value):
        since = local_day(row["updated_at"])  # nothing changes a closed tender afterwards
        return deadlines.refund_due(since, await calendar_from(since))
    winner = None
    if row["awarded_bid"]:
        bid = await Bid.select(Bid.vendor).where(Bid.id == row["awarded_bid"]).first()
        winner = bid["vendor"] if bid else None
    if vendor_id == winner:
        signed_at = (
            await contracts.first_signed_at(row["contract_id"]) if row["contract_id"] else None
        )
        since = local_day(signed_at) if signed_at else None
    else:
        notice = (
            await ResultNotice.select(ResultNotice.published_at)
            .where((ResultNotice.tender == row["id"]) & ResultNotice.withdrawn_at.is_null())
            .first()
        )
        since = local_day(notice["published_at"]) if notice else None
    if since is None:
        return None
    return deadlines.refund_due(since, await calendar_from(since))


async def award_notice_issued(tender_id: int, winner: int | None, at: datetime) -> None:
    """The award notice went out (results.publish, in its transaction): the losing bidders'
    deposits fall due. The winner's falls due at signing: after a re-award the new winner's,
    due since the first notice and not refunded yet, is due at signing again."""
    day = local_day(at)
    due = deadlines.refund_due(day, await calendar_from(day))
    where = (BidSecurity.tender == tender_id) & BidSecurity.refund_due.is_null()
    if winner is not None:
        where &= BidSecurity.vendor != winner
        await BidSecurity.update({BidSecurity.refund_due: None}).where(
            (BidSecurity.tender == tender_id)
            & (BidSecurity.vendor == winner)
            & BidSecurity.refunded_on.is_null()
        )
    await BidSecurity.update({BidSecurity.refund_due: due}).where(where)


async def tender_closed(tender_id: int, at: datetime) -> None:
    """The tender failed or was cancelled (in that transaction): every bidder's deposit falls
    due 5 working days later (§3a)."""
    day = local_day(at)
    due = deadlines.refund_due(day, await calendar_from(day))
    await BidSecurity.update({BidSecurity.refund_due: due}).where(
        (BidSecurity.tender == tender_id) & BidSecurity.refund_due.is_null()
    )


async def _contract_signed(contract: dict, version: dict, at: datetime) -> None:
    """A contract was signed (contracts.drafting.sign, in its transaction): if an award
    created it, the winner's deposit falls due."""
    if not contract.get("tender_id"):
        return
    row = await Tender.select().where(Tender.id == contract["tender_id"]).first()
    if row is None or row["contract_id"] != contract["id"]:
        return
    day = local_day(at)
    due = deadlines.refund_due(day, await calendar_from(day))
    await BidSecurity.update({BidSecurity.refund_due: due}).where(
        (BidSecurity.tender == row["id"])
        & (BidSecurity.vendor == contract["vendor"])
        & BidSecurity.refund_due.is_null()
    )


hooks.register_signed_listener("tenders.bid_security", _contract_signed)


def _entry(entry: dict | None, today_: date) -> dict | None:
    if entry is None:
        return None
    return {
        "amount": db.two_places(entry["amount"]),
        "received_on": entry["received_on"],
        "received_ref": entry["received_ref"],
        "recorded_by": entry["recorded_by"],
        "refund_due": entry["refund_due"],
        "refunded_on": entry["refunded_on"],
        "refund_ref": entry["refund_ref"],
        "refunded_by": entry["refunded_by"],
        "overdue": deadlines.is_overdue(
            entry["refund_due"], today_, entry["refunded_on"] is not None
        ),
    }


async def ledger(principal: Principal, tender_id: int) -> dict:
    """The tender's deposit asked and, from opening on, each bidder with its deposit."""
    ensure_staff(principal)
    row = await common.tender_row(tender_id)
    bidders = []
    if row["opened_at"] is not None:
        bids = (
            await Bid.select(Bid.vendor, Bid.vendor.name.as_alias("vendor_name"))
            .where((Bid.tender == tender_id) & (Bid.state == "active"))
            .order_by(Bid.vendor.name)
        )
        entries = {
            e["vendor"]: e
            for e in await BidSecurity.select().where(BidSecurity.tender == tender_id)
        }
        now_day = today()
        for b in bids:
            bidders.append(
                {
                    "vendor_id": b["vendor"],
                    "vendor_name": b["vendor_name"],
                    "deposit": _entry(entries.get(b["vendor"]), now_day),
                }
            )
    return {
        "tender": common.decorate(row),
        "asked": db.two_places(row["bid_security"]),
        "bidders": bidders,
    }


def _check_amount(amount: Decimal | None, errors: Collector) -> None:
    if amount is None:
        errors.add("amount", "required", _("Amount: give the amount received."))
    elif not rules.is_amount(amount) or amount <= 0:
        errors.add("amount", "positive", _("Amount: more than 0, with at most 2 decimals."))


async def record(
    actor: Principal,
    tender_id: int,
    vendor_id: int | None,
    amount: Decimal | None,
    received_on: date | None,
    reference: str,
) -> dict:
    """Record a bidder's deposit received. Once per bidder: the same entry again changes
    nothing; a different one is refused (409)."""
    common.ensure_officer(actor)
    errors = Collector()
    if vendor_id is None:
        errors.add("vendor_id", "required", _("Bidder: choose the bidder."))
    _check_amount(amount, errors)
    deadlines.day_errors("received_on", received_on, today(), errors)
    reference = deadlines.reference_errors("reference", reference, errors)
    errors.raise_if_any()
    async with db.transaction():
        row = await common.tender_row(tender_id, lock=True)
        if not row["bid_security"]:
            raise Conflict(_("Bid security: this tender asks no bid security."))
        if row["opened_at"] is None:
            raise Conflict(
                _(
                    "Deposits are recorded against the bids from the opening on (until then "
                    "who bid is sealed)."
                )
            )
        if not await Bid.exists().where(
            (Bid.tender == tender_id) & (Bid.vendor == vendor_id) & (Bid.state == "active")
        ):
            raise InvalidInput.single(
                "vendor_id", "bidder", _("Bidder: not a bidder of this tender.")
            )
        existing = (
            await BidSecurity.select()
            .where((BidSecurity.tender == tender_id) & (BidSecurity.vendor == vendor_id))
            .first()
        )
        if existing is not None:
            if (existing["amount"], existing["received_on"], existing["received_ref"]) == (
                amount,
                received_on,
                reference,
            ):
                return _entry(existing, today())
            raise Conflict(
                _(
                    "Bidder: this bidder's deposit is recorded already (%(amount)s received "
                    "%(day)s).",
                    amount=yuan(existing["amount"]),
                    day=existing["received_on"],
                )
            )
        due = await _due_for(row, vendor_id)
        try:
            await BidSecurity.insert(
                BidSecurity(
                    tender=tender_id,
                    vendor=vendor_id,
                    amount=amount,
                    received_on=received_on,
                    received_ref=reference,
                    recorded_by=actor.username,
                    recorded_at=common.now(),
                    refund_due=due,
                )
            )
        except Exception as error:
            if db.is_unique_violation(error):
                raise Conflict(_("Bidder: this bidder's deposit is recorded already.")) from None
            raise
        await audit.record(
            actor,
            "tender",
            tender_id,
            "record_bid_security",
            None,
            {
                "vendor": vendor_id,
                "amount": amount,
                "received_on": received_on,
                "reference": reference,
                "refund_due": due,
            },
        )
        entry = (
            await BidSecurity.select()
            .where((BidSecurity.tender == tender_id) & (BidSecurity.vendor == vendor_id))
            .first()
        )
    return _entry(entry, today())


async def refund(
    actor: Principal, tender_id: int, vendor_id: int, refunded_on: date | None, reference: str
) -> dict:
    """Record a deposit's refund, once: the same refund again changes nothing; another is
    refused (409) — of two officers recording it at the same moment one wins."""
    common.ensure_officer(actor)
    errors = Collector()
    deadlines.day_errors("refunded_on", refunded_on, today(), errors)
    reference = deadlines.reference_errors("reference", reference, errors)
    errors.raise_if_any()
    async with db.transaction():
        await common.tender_row(tender_id, lock=True)
        entry = (
            await BidSecurity.select()
            .where((BidSecurity.tender == tender_id) & (BidSecurity.vendor == vendor_id))
            .first()
        )
        if entry is None:
            raise NotFound(N_("bid security of vendor"), vendor_id)
        if entry["refunded_on"] is not None:
            if (entry["refunded_on"], entry["refund_ref"]) == (refunded_on, reference):
                return _entry(entry, today())
            raise Conflict(
                _(
                    "Refunded on: this deposit was refunded already on %(day)s (reference "
                    "%(reference)s).",
                    day=entry["refunded_on"],
                    reference=entry["refund_ref"],
                )
            )
        if refunded_on < entry["received_on"]:
            raise InvalidInput.single(
                "refunded_on",
                "after",
                _(
                    "Refunded on: cannot be before the deposit was received (%(day)s).",
                    day=entry["received_on"],
                ),
            )
        await BidSecurity.update(
            {
                BidSecurity.refunded_on: refunded_on,
                BidSecurity.refund_ref: reference,
                BidSecurity.refunded_by: actor.username,
                BidSecurity.refunded_at: common.now(),
            }
        ).where((BidSecurity.id == entry["id"]) & BidSecurity.refunded_on.is_null())
        await audit.record(
            actor,
            "tender",
            tender_id,
            "refund_bid_security",
            {"vendor": vendor_id, "refunded_on": None},
            {
                "vendor": vendor_id,
                "refunded_on": refunded_on,
                "reference": reference,
                "refund_due": entry["refund_due"],
            },
        )
        entry = await BidSecurity.select().where(BidSecurity.id == entry["id"]).first()
    return _entry(entry, today())


async def overdue_page(principal: Principal, request: PageRequest = PageRequest()) -> Page:
    """Deposits not refunded by their due day, oldest due first (paged, sortable)."""
    ensure_staff(principal)
    query = BidSecurity.select(
        BidSecurity.all_columns(),
        BidSecurity.vendor.name.as_alias("vendor_name"),
        BidSecurity.tender.reference.as_alias("tender_reference"),
        BidSecurity.tender.title.as_alias("tender_title"),
    )
    where = [BidSecurity.refunded_on.is_null() & (BidSecurity.refund_due < today())]
    page = await paging.fetch_page(
        BidSecurity, query, where, request, OVERDUE_SORTS, [(BidSecurity.refund_due, True)]
    )
    now_day = today()
    page.items = [
        {
            "tender_id": r["tender"],
            "tender_reference": r["tender_reference"],
            "tender_title": r["tender_title"],
            "vendor_id": r["vendor"],
            "vendor_name": r["vendor_name"],
            **_entry(r, now_day),
            "days_late": (now_day - r["refund_due"]).days,
        }
        for r in page.items
    ]
    return page
