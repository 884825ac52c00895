"""Re-award (Order 87 Art. 68): once the award is made, the winner declines, fails to sign the
contract or is found ineligible. The officer records the ground and its evidence; the draft
contract the award created is withdrawn through the contracts domain; a result notice already
published is withdrawn (kept, with the reason), so that the next award publishes a corrected
one (更正公告); the winner is recorded as passed over (PassedOver) and the tender returns to
awaiting its award, so the next candidate is awarded in the normal way (awarding.award). One
transaction under the tender's row lock."""

from __future__ import annotations

from vendorgov import db, recorded
from vendorgov.accounts.roles import Principal
from vendorgov.audit import service as audit
from vendorgov.contracts import drafting as contract_drafting
from vendorgov.errors import Conflict, InvalidInput
from vendorgov.i18n import N_, _
from vendorgov.tenders import common, ranking_rules, results
from vendorgov.tenders.evaluation import evaluate
from vendorgov.tenders.rules import Status
from vendorgov.tenders.tables import PassedOver, Tender


def _ground(ground: str) -> str:
    if ground not in ranking_rules.PASS_GROUND_LABELS:
        raise InvalidInput.single(
            "ground",
            "one_of",
            _(
                "Ground: choose one of %(grounds)s.",
                grounds=", ".join(ranking_rules.PASS_GROUND_LABELS),
            ),
        )
    return ground


def plan(evaluation: dict, row: dict) -> dict | None:
    """What withdrawing the award would do (the confirmation shows it): the winner passed over,
    the contract withdrawn, and the candidate who becomes next (None: none is left)."""
    if row["status"] != Status.awarded.value or not row["awarded_bid"]:
        return None
    winner = next((b for b in evaluation["ranked"] if b["id"] == row["awarded_bid"]), None)
    if winner is None:
        return None
    candidate_ids = [b["id"] for b in evaluation["candidates"]]
    passed = {p["bid"] for p in evaluation["passed_over"]} | {winner["id"]}
    next_id = ranking_rules.next_candidate(candidate_ids, passed)
    following = next((b for b in evaluation["candidates"] if b["id"] == next_id), None)
    return {"winner": winner, "contract_id": row["contract_id"], "next": following}


async def preview(principal: Principal, tender_id: int) -> dict | None:
    common.ensure_officer(principal)
    row = await common.tender_row(tender_id)
    return plan(await evaluate(row), row)


async def withdraw_award(
    actor: Principal, tender_id: int, bid_id: int, ground: str, evidence: str
) -> dict:
    """The awarded winner `bid_id` declined, failed to sign or was found ineligible: withdraw
    its draft contract, record it as passed over, and return the tender to awaiting the award
    of the next candidate. The same record sent again returns the first; a different one after
    it (or for a bid no longer awarded) is a 409; so is a signed contract."""
    common.ensure_officer(actor)
    ground = _ground(ground)
    evidence = common.written_reason(evidence, "evidence")
    async with db.transaction():
        row = await common.tender_row(tender_id, lock=True)
        done = (
            await PassedOver.select()
            .where((PassedOver.tender == tender_id) & (PassedOver.bid == bid_id))
            .first()
        )
        if done and (done["ground"], done["evidence"]) == (ground, evidence):
            if row["awarded_bid"] != bid_id:  # recorded already (a second click)
                passed = (await evaluate(row))["passed_over"]
                name = next((p["vendor_name"] for p in passed if p["bid"] == bid_id), "")
                return {
                    **done,
                    "vendor_name": name,
                    "contract_withdrawn": None,
                    "next": None,
                    "repeated": True,
                }
        if row["status"] != Status.awarded.value or row["awarded_bid"] != bid_id:
            raise Conflict(
                _(
                    "Bid: it is not the awarded bid of this tender (any more); reload the "
                    "results page."
                )
            )
        evaluation = await evaluate(row)
        steps = plan(evaluation, row)
        if steps is None:
            raise Conflict(_("Bid: it is not the awarded bid of this tender (any more)."))
        winner = steps["winner"]
        # A published notice named this winner: withdrawn with the reason, the next award
        # publishes a corrected one (更正公告).
        reason = recorded.sentence(
            N_("%(ground_label)s: %(evidence)s"),
            ground_label=ranking_rules.PASS_GROUND_LABELS[ground][0],
            evidence=evidence,
        )
        notice = await results.withdraw_notice(tender_id, reason)
        withdrawn = None
        if row["contract_id"]:
            withdrawn = await contract_drafting.withdraw_award_draft(
                actor, row["contract_id"], f"{ground}: {evidence}"
            )
        now = common.now()
        record = PassedOver(
            tender=tender_id,
            bid=bid_id,
            position=winner["candidate"],
            ground=ground,
            evidence=evidence,
            recorded_by=actor.username,
            recorded_at=now,
        )
        await record.save()
        # Conditional on the state read under the lock: a second step finds nothing to change.
        changed = (
            await Tender.update(
                {
                    Tender.status: Status.evaluated.value,
                    Tender.awarded_bid: None,
                    Tender.award_reason: "",
                    Tender.awarded_at: None,
                    Tender.awarded_by: "",
                    Tender.contract_id: None,
                    Tender.updated_at: now,
                }
            )
            .where(
                (Tender.id == tender_id)
                & (Tender.status == Status.awarded.value)
                & (Tender.awarded_bid == bid_id)
            )
            .returning(Tender.id)
        )
        if not changed:
            raise Conflict(_("Bid: it is not the awarded bid of this tender (any more)."))
        following = steps["next"]
        await audit.record(
            actor,
            "tender",
            tender_id,
            "withdraw_award",
            {
                "status": Status.awarded.value,
                "bid": bid_id,
                "contract_id": row["contract_id"],
                "awarded_at": row["awarded_at"],
            },
            {
                "status": Status.evaluated.value,
                "candidate": winner["candidate"],
                "vendor": winner["vendor_name"],
                "ground": ground,
                "evidence": evidence,
                "contract_withdrawn": withdrawn["number"] if withdrawn else None,
                "notice_withdrawn": notice["published_at"] if notice else None,
                "next_candidate": following["candidate"] if following else None,
            },
        )
    return {
        **record.to_dict(),
        "vendor_name": winner["vendor_name"],
        "contract_withdrawn": withdrawn["number"] if withdrawn else None,
        "next": following,
        "repeated": False,
    }
