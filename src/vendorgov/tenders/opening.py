"""Opening the sealed bids at the deadline and their validity (§3): digests re-checked,
invalid bids, abnormally low prices, and the compliance review that follows."""

from __future__ import annotations

import base64
import json
from decimal import Decimal, InvalidOperation

from vendorgov import db
from vendorgov.accounts.roles import Principal
from vendorgov.audit import service as audit
from vendorgov.errors import Conflict, InvalidInput, NotFound
from vendorgov.files import service as files
from vendorgov.i18n import N_, _
from vendorgov.payments import performance
from vendorgov.recorded import read, sentence
from vendorgov.settings import get_settings
from vendorgov.tenders import common, rules, sealing
from vendorgov.tenders.rules import Method, Status
from vendorgov.tenders.tables import Bid, BidFile, PanelMember, Tender
from vendorgov.vendors import service as vendors


async def open_tender(actor: Principal, tender_id: int) -> dict:
    """Open the sealed bids at or after the deadline: re-check digests, decide validity (§3),
    flag abnormally low prices; the tender fails if too few valid bids remain."""
    common.ensure_officer(actor)
    settings = get_settings()
    async with db.transaction():
        row = await common.tender_row(tender_id, lock=True)
        common.ensure_action(row, "open")
        now = common.now()
        if now < row["bid_deadline"]:
            raise Conflict(
                _(
                    "Bid deadline: the bids can be opened from %(at)s; wait until then.",
                    at=common.local(row["bid_deadline"]).strftime("%Y-%m-%d %H:%M:%S %Z"),
                )
            )
        key = common.tender_key(row)
        active = await Bid.select().where((Bid.tender == tender_id) & (Bid.state == "active"))
        deadline_day = common.local(row["bid_deadline"]).date()
        standing = await vendors.standing(
            [b["vendor"] for b in active], deadline_day, recorded_by=row["bid_deadline"]
        )
        ceiling = db.two_places(row["budget_ceiling"])
        required = json.loads(row["qualification_types"])
        outcome: dict[int, dict] = {}
        for bid in active:
            price, reasons, digest_ok = None, [], True
            try:
                content = common.open_envelope(row, bid)
                digest_ok = sealing.digest(content) == bid["digest"]
                stored = {
                    f["position"]: f["stored_file"]
                    for f in await BidFile.select().where(BidFile.bid == bid["id"])
                }
                for position, meta in enumerate(content["files"]):
                    blob = (await files.content(stored[position])).path.read_bytes()
                    data = sealing.decrypt(
                        key, blob, common.file_context(row, content["salt"], position)
                    )
                    digest_ok = digest_ok and sealing.file_digest(data) == meta["sha256"]
                price = Decimal(content["price"])
            except (sealing.SealBroken, KeyError, NotFound, ValueError, InvalidOperation):
                digest_ok = False
            if not digest_ok:
                reasons.append(sentence(N_("the content does not match the digest on its receipt")))
            if price is not None:
                vendor = standing[bid["vendor"]]
                facts = rules.BidFacts(price, vendor["status"], vendor["qualifications"])
                reasons += rules.invalid_reasons(facts, ceiling, required, deadline_day)
            outcome[bid["id"]] = {"price": price, "reasons": reasons, "digest_ok": digest_ok}
        valid = {b: o["price"] for b, o in outcome.items() if not o["reasons"]}
        low = rules.abnormally_low(valid, Decimal(settings.abnormal_low_percent))
        # §3a: the SME declarations as of opening, and past performance when a criterion
        # asks for it (the payments service's last 12 approved months), kept on the bids.
        vendor_of = {b["id"]: b["vendor"] for b in active}
        past = {}
        if any(c.is_past_performance for c in common.criteria_of(row["criteria"])):
            past = await performance.past_performance(
                list(vendor_of.values()), f"{common.local(now):%Y-%m}"
            )
        for bid_id, o in outcome.items():
            vendor_id = vendor_of[bid_id]
            record = past.get(vendor_id)
            await Bid.update(
                {
                    Bid.price: o["price"],
                    Bid.digest_ok: o["digest_ok"],
                    Bid.invalid_reasons: json.dumps(o["reasons"], ensure_ascii=False),
                    Bid.abnormally_low: bid_id in low,
                    Bid.sme_size: standing[vendor_id]["sme_size"],
                    Bid.past_score: record.score if record else None,
                    Bid.past_months: record.months if record else 0,
                }
            ).where(Bid.id == bid_id)
        minimum = rules.min_bidders(Method(row["method"]))
        status, reason = Status.opened, ""
        if len(valid) < minimum:
            status = Status.failed
            reason = sentence(
                N_("%(valid)s valid bid(s) at opening; at least %(minimum)s needed (§3)"),
                valid=len(valid),
                minimum=minimum,
            )
        await Tender.update(
            {
                Tender.status: status.value,
                Tender.released_key: base64.b64encode(key).decode(),
                Tender.opened_at: now,
                Tender.opened_by: actor.username,
                Tender.closed_reason: reason,
                Tender.updated_at: now,
            }
        ).where(Tender.id == tender_id)
        summary = {
            "status": status.value,
            "bids": len(active),
            "valid": len(valid),
            "digest_mismatches": [b for b, o in outcome.items() if not o["digest_ok"]],
            "abnormally_low": sorted(low),
            "sme": sorted(b for b in outcome if standing[vendor_of[b]]["sme_size"]),
            "closed_reason": read(reason),
        }
        await audit.record(actor, "tender", tender_id, "open", {"status": row["status"]}, summary)
        # The sealed bidder references of the submissions' audit entries, revealed.
        submissions = await Bid.select(
            Bid.id, Bid.submitted_by, Bid.vendor.name.as_alias("vendor_name")
        ).where(Bid.tender == tender_id)
        await audit.record(
            actor,
            "tender",
            tender_id,
            "reveal_bidders",
            None,
            {
                "bidders": {
                    str(b["id"]): {"vendor": b["vendor_name"], "user": b["submitted_by"]}
                    for b in submissions
                }
            },
        )
    return summary


# --- compliance review and abnormally low prices ---------------------------------------------


async def _opened_bid(bid_id: int) -> tuple[dict, dict]:
    """A bid under review and its tender, read under the tender's lock (in a transaction):
    a decision taken at the same moment is seen, not overwritten unseen."""
    found = await Bid.select(Bid.tender).where(Bid.id == bid_id).first()
    if found is None:
        raise NotFound(N_("bid"), bid_id)
    tender = await common.tender_row(found["tender"], lock=True)
    bid = await Bid.select().where(Bid.id == bid_id).first()
    common.ensure_action(tender, "review")
    if bid["state"] != "active" or json.loads(bid["invalid_reasons"]):
        raise Conflict(_("Bid: only valid bids are reviewed."))
    return bid, tender


async def _ensure_no_submissions(tender_id: int) -> None:
    """A bid put back in the running after scores were handed in would stay unscored by
    those evaluators (submitted scores are final), so that is refused."""
    if await PanelMember.exists().where(
        (PanelMember.tender == tender_id)
        & (PanelMember.conflict == False)  # noqa: E712 (Piccolo builds SQL from ==)
        & PanelMember.submitted_at.is_not_null()
    ):
        raise Conflict(_("Bid: evaluators have submitted their scores; the reviews are closed."))


async def review_bid(actor: Principal, bid_id: int, compliant: bool, reason: str) -> None:
    """Record the panel's compliance decision on a valid bid; non-compliance needs a reason."""
    common.ensure_officer(actor)
    reason = common.written_reason(reason) if not compliant else (reason or "").strip()
    async with db.transaction():
        bid, tender = await _opened_bid(bid_id)
        value = "compliant" if compliant else "non_compliant"
        if (bid["compliance"], bid["compliance_reason"]) == (value, reason):
            return  # the same decision again: recorded already
        if compliant and bid["compliance"] == "non_compliant":
            await _ensure_no_submissions(tender["id"])
        await Bid.update({Bid.compliance: value, Bid.compliance_reason: reason}).where(
            Bid.id == bid_id
        )
        await audit.record(
            actor,
            "bid",
            bid_id,
            "compliance",
            {"compliance": bid["compliance"]},
            {"compliance": value, "reason": reason},
        )


async def decide_low_price(actor: Principal, bid_id: int, decision: str, reason: str) -> None:
    """The panel's decision on an abnormally low price: explanation accepted, or rejected
    (the bid becomes invalid). Required before evaluation closes."""
    common.ensure_officer(actor)
    if decision not in ("accepted", "rejected"):
        raise InvalidInput.single("decision", "choice", _("Decision: choose accepted or rejected."))
    reason = common.written_reason(reason)
    async with db.transaction():
        bid, tender = await _opened_bid(bid_id)
        if (bid["low_decision"], bid["low_reason"]) == (decision, reason):
            return  # the same decision again: recorded already
        if decision == "accepted" and bid["low_decision"] == "rejected":
            await _ensure_no_submissions(tender["id"])
        if not bid["abnormally_low"]:
            raise Conflict(_("Bid: this bid is not flagged as abnormally low."))
        await Bid.update({Bid.low_decision: decision, Bid.low_reason: reason}).where(
            Bid.id == bid_id
        )
        await audit.record(
            actor,
            "bid",
            bid_id,
            "low_price_decision",
            {"low_decision": bid["low_decision"]},
            {"low_decision": decision, "reason": reason},
        )
