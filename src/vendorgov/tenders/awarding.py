"""The award (§3): the winner chosen, the draft contract created, the OCDS release."""

from __future__ import annotations

import json

from vendorgov import db
from vendorgov.accounts.people import display_name
from vendorgov.accounts.roles import Principal
from vendorgov.audit import service as audit
from vendorgov.contracts import drafting as contract_drafting
from vendorgov.contracts import rules as contract_rules
from vendorgov.contracts.ocds import term_months
from vendorgov.errors import Conflict, Forbidden, InvalidInput
from vendorgov.humane import joined
from vendorgov.i18n import _
from vendorgov.tenders import common, ranking_rules
from vendorgov.tenders.evaluation import evaluate
from vendorgov.tenders.reading import get_tender
from vendorgov.tenders.rules import Status
from vendorgov.tenders.tables import Bid, PassedOver, Tender
from vendorgov.vendors import service as vendors


async def award(actor: Principal, tender_id: int, bid_id: int, reason: str = "") -> int:
    """Award the next candidate in order (Order 87 Art. 68): the first candidate, or the next
    one once every candidate before it is recorded as passed over (pass_over). Creates the
    draft contract carrying scope, price and the SLA template. Returns the contract id."""
    common.ensure_officer(actor)
    async with db.transaction():
        row = await common.tender_row(tender_id, lock=True)
        common.ensure_action(row, "award")
        evaluation = await evaluate(row)
        ranked = {b["id"]: b for b in evaluation["ranked"]}
        if bid_id not in ranked:
            raise InvalidInput.single("bid_id", "ranked", _("Bid: award one of the ranked bids."))
        chosen = ranked[bid_id]
        candidate_ids = [b["id"] for b in evaluation["candidates"]]
        passed = {p["bid"] for p in evaluation["passed_over"]}
        _ensure_not_passed_over(evaluation, bid_id)
        problem = _order_problem(bid_id, candidate_ids, passed)
        if problem:
            raise InvalidInput.single("bid_id", "candidate_order", problem)
        months = term_months(row["service_start"], row["service_end"])
        # The contract pays the awarded total: equal monthly fees, the remainder in the last.
        fee, final = contract_rules.fee_schedule(chosen["price"], months)
        terms = contract_rules.terms_from(
            {
                **json.loads(row["sla_template"]),
                "effective_from": row["service_start"].isoformat(),
                "monthly_fee": str(fee),
                "final_month_fee": str(final) if final != fee else None,
            }
        )
        contract_id, _created = await contract_drafting.create_contract(
            actor,
            contract_drafting.ContractInput(
                number=f"{row['reference']}-C",
                title=row["title"],
                vendor_id=chosen["vendor"],
                category=row["category"],
                start_date=row["service_start"],
                end_date=row["service_end"],
                monthly_fee=fee,
                scope=row["scope"],
                tender_id=tender_id,
            ),
            terms,
        )
        now = common.now()
        await Tender.update(
            {
                Tender.status: Status.awarded.value,
                Tender.awarded_bid: bid_id,
                Tender.award_reason: (reason or "").strip(),
                Tender.awarded_at: now,
                Tender.awarded_by: actor.username,
                Tender.contract_id: contract_id,
                Tender.updated_at: now,
            }
        ).where(Tender.id == tender_id)
        await audit.record(
            actor,
            "tender",
            tender_id,
            "award",
            {"status": row["status"]},
            {
                "status": Status.awarded.value,
                "bid": bid_id,
                "vendor": chosen["vendor_name"],
                "price": chosen["price"],
                "rank": chosen["rank"],
                "candidate": chosen["candidate"],
                "passed_over": [
                    [p["position"], p["bid"], p["ground"]] for p in evaluation["passed_over"]
                ],
                "reason": reason,
                "contract_id": contract_id,
            },
        )
    return contract_id


def _ensure_not_passed_over(evaluation: dict, bid_id: int) -> None:
    """A candidate passed over meanwhile (e.g. by another officer at the same moment): 409."""
    done = next((p for p in evaluation["passed_over"] if p["bid"] == bid_id), None)
    if done:
        raise Conflict(
            _(
                "Bid: candidate %(position)s was passed over by %(person)s (%(ground)s); it can "
                "no longer be awarded or passed over again.",
                position=done["position"],
                person=display_name(done["recorded_by"]),
                ground=_(ranking_rules.PASS_GROUND_LABELS[done["ground"]][0])
                if done["ground"] in ranking_rules.PASS_GROUND_LABELS
                else done["ground"],
            )
        )


def _order_problem(bid_id: int, candidate_ids: list[int], passed: set[int]) -> str | None:
    """Why the bid may not be awarded (or passed over) now, worded for the reader
    (ranking_rules.award_order_error decides); None when it is the next candidate."""
    if ranking_rules.award_order_error(bid_id, candidate_ids, passed) is None:
        return None
    if bid_id not in candidate_ids:
        return _("Bid: only a recommended candidate can be awarded (at most 3, in order).")
    if bid_id in passed:
        return _("Bid: this candidate was passed over.")
    return _(
        "Bid: candidate %(position)s may be taken only when every candidate before it is "
        "recorded as passed over, with the ground and its evidence (Order 87 Art. 68).",
        position=candidate_ids.index(bid_id) + 1,
    )


def preview(results: dict) -> dict | None:
    """What awarding the next candidate would do (the confirmation shows it): who, at what
    price, and the contract's monthly fees over the term (the last month takes the
    remainder)."""
    chosen = results.get("next_candidate")
    if chosen is None:
        return None
    tender = results["tender"]
    months = term_months(tender["service_start"], tender["service_end"])
    fee, final = contract_rules.fee_schedule(chosen["price"], months)
    return {"bid": chosen, "months": months, "fee": fee, "final": final}


async def pass_over(
    actor: Principal, tender_id: int, bid_id: int, ground: str, evidence: str
) -> dict:
    """Record that the next candidate is passed over (Order 87 Art. 68): it declined, failed to
    sign, or was found ineligible, with the evidence. Only the next candidate in order, while
    the tender awaits its award; the same record sent again is answered with the first."""
    common.ensure_officer(actor)
    if ground not in ranking_rules.PASS_GROUND_LABELS:
        raise InvalidInput.single(
            "ground",
            "one_of",
            _(
                "Ground: choose one of %(grounds)s.",
                grounds=joined(
                    _(label) for label, _zh in ranking_rules.PASS_GROUND_LABELS.values()
                ),
            ),
        )
    evidence = common.written_reason(evidence, "evidence")
    async with db.transaction():
        row = await common.tender_row(tender_id, lock=True)
        evaluation = await evaluate(row)
        done = next((p for p in evaluation["passed_over"] if p["bid"] == bid_id), None)
        if done and (done["ground"], done["evidence"]) == (ground, evidence):
            return done  # recorded already (a second click)
        common.ensure_action(row, "award")
        _ensure_not_passed_over(evaluation, bid_id)
        candidate_ids = [b["id"] for b in evaluation["candidates"]]
        passed = {p["bid"] for p in evaluation["passed_over"]}
        problem = _order_problem(bid_id, candidate_ids, passed)
        if problem:
            raise InvalidInput.single("bid_id", "candidate_order", problem)
        bid = next(b for b in evaluation["candidates"] if b["id"] == bid_id)
        record = PassedOver(
            tender=tender_id,
            bid=bid_id,
            position=bid["candidate"],
            ground=ground,
            evidence=evidence,
            recorded_by=actor.username,
            recorded_at=common.now(),
        )
        await record.save()
        await audit.record(
            actor,
            "tender",
            tender_id,
            "pass_over",
            None,
            {
                "candidate": bid["candidate"],
                "bid": bid_id,
                "vendor": bid["vendor_name"],
                "ground": ground,
                "evidence": evidence,
            },
        )
    return {**record.to_dict(), "vendor_name": bid["vendor_name"]}


async def ocds_release(principal: Principal, tender_id: int) -> dict:
    """The OCDS release of the tender (and its award). Bidders appear only from opening on."""
    from vendorgov.tenders.ocds import tender_release

    if principal.role not in common.STAFF:
        raise Forbidden(_("The OCDS release is published by procurement."))
    tender = await get_tender(principal, tender_id)
    tenderers, award = [], None
    if tender["opened_at"]:
        rows = await Bid.select(Bid.id, Bid.vendor, Bid.price).where(
            (Bid.tender == tender_id) & (Bid.state == "active")
        )
        standing = await vendors.standing([r["vendor"] for r in rows], common.now().date())
        tenderers = sorted(
            (
                {"name": standing[r["vendor"]]["name"], "uscc": standing[r["vendor"]]["uscc"]}
                for r in rows
            ),
            key=lambda v: v["uscc"],
        )
        won = [r for r in rows if r["id"] == tender["awarded_bid"]]
        if won:
            vendor = standing[won[0]["vendor"]]
            award = {
                "name": vendor["name"],
                "uscc": vendor["uscc"],
                "price": db.two_places(won[0]["price"]),
            }
    from vendorgov.tenders.results import ocds_notice

    return tender_release(tender, tenderers, award, await ocds_notice(tender_id))
