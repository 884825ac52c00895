"""The evaluation panel (§3): its members, their conflict declarations and their scores."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from vendorgov import db
from vendorgov.accounts.roles import Principal, Role
from vendorgov.audit import service as audit
from vendorgov.errors import Collector, Conflict, Forbidden, InvalidInput, NotFound
from vendorgov.humane import joined, status_label
from vendorgov.i18n import N_, _, ngettext
from vendorgov.tenders import common, rules
from vendorgov.tenders import panel as panel_service
from vendorgov.tenders.bidding import bids
from vendorgov.tenders.rules import Status
from vendorgov.tenders.tables import Bid, PanelMember, Score

# A member's dissenting opinion (异议), recorded with the submitted scores.
MAX_DISSENT = 2000


async def panel(principal: Principal, tender_id: int) -> list[dict]:
    """The panel and its progress (declared, conflicts, scores entered, submitted)."""
    row = await common.tender_row(tender_id)
    if principal.role not in common.STAFF:
        raise Forbidden(_("The panel's progress is for procurement officers."))
    members = (
        await PanelMember.select().where(PanelMember.tender == tender_id).order_by(PanelMember.id)
    )
    counts: dict[int, int] = {}
    for s in await Score.select(Score.member).where(
        Score.member.is_in([m["id"] for m in members] or [0])
    ):
        counts[s["member"]] = counts.get(s["member"], 0) + 1
    for m in members:
        m["scores_entered"] = counts.get(m["id"], 0)
    del row
    return members


async def assign_panel(actor: Principal, tender_id: int, evaluator_ids: list[int]) -> None:
    """Appoint purchaser representatives to the panel (experts are drawn: tenders.panel)."""
    await panel_service.assign_panel(actor, tender_id, evaluator_ids)


async def _my_membership(actor: Principal, tender_id: int) -> tuple[dict, dict]:
    if actor.role is not Role.evaluator:
        raise Forbidden(_("Only evaluators declare conflicts and score."))
    row = await common.tender_row(tender_id)
    member = await common.member_of(tender_id, actor.user_id)
    if member is None:
        raise NotFound(N_("tender"), tender_id)
    return row, member


async def bidders(actor: Principal, tender_id: int) -> list[dict]:
    """The bidding companies an evaluator declares against (names only, nothing of the bids)."""
    row, member = await _my_membership(actor, tender_id)
    if member["conflict"]:
        raise Forbidden(_("You declared a conflict of interest and left this tender."))
    if row["opened_at"] is None:
        raise Conflict(_("The bidders are known once the bids are opened."))
    active = await Bid.select(Bid.vendor, Bid.vendor.name.as_alias("name")).where(
        (Bid.tender == tender_id) & (Bid.state == "active")
    )
    unique = {(b["vendor"], b["name"]) for b in active}
    return [{"vendor_id": v, "name": n} for v, n in sorted(unique, key=lambda v: v[1])]


async def declare(actor: Principal, tender_id: int, conflicts: list[int], note: str) -> bool:
    """Declare conflicts of interest with the bidders before seeing any bid. A conflict
    removes the evaluator from the tender. Returns True when the evaluator may score."""
    async with db.transaction():
        # Decided under the tender's lock: a second tab, or the tender closing, may be at it.
        await common.tender_row(tender_id, lock=True)
        row, member = await _my_membership(actor, tender_id)
        if member["declared_at"] is not None:
            raise Conflict(_("Declaration: you have declared already; it stands."))
        if row["status"] != Status.opened:
            raise Conflict(
                _(
                    "Declarations are made once the bids are opened; the tender is %(status)s.",
                    status=status_label(row["status"]),
                )
            )
        names = {b["vendor_id"]: b["name"] for b in await bidders(actor, tender_id)}
        unknown = [v for v in conflicts if v not in names]
        if unknown:
            raise InvalidInput.single(
                "conflicts",
                "bidder",
                _("Conflicts: choose only among this tender's bidders."),
            )
        if conflicts:
            note = common.written_reason(note, "note")
        await PanelMember.update(
            {
                PanelMember.declared_at: common.now(),
                PanelMember.conflict: bool(conflicts),
                PanelMember.conflict_note: (note or "").strip(),
            }
        ).where(PanelMember.id == member["id"])
        await audit.record(
            actor,
            "panel_member",
            member["id"],
            "declare",
            None,
            {"tender": row["reference"], "conflicts": [names[v] for v in conflicts], "note": note},
        )
    return not conflicts


async def scoring_sheet(actor: Principal, tender_id: int) -> dict:
    """What an evaluator scores: the eligible bids and the non-price criteria, with their own
    scores; everyone's once the whole panel has submitted."""
    row, member = await _my_membership(actor, tender_id)
    if member["declared_at"] is None:
        raise Forbidden(_("Declare your conflicts of interest with the bidders first."))
    if member["conflict"]:
        raise Forbidden(_("You declared a conflict of interest and left this tender."))
    if row["status"] == Status.opened:
        await panel_service.ensure_complete(row)
    opened = await bids(actor, tender_id)
    eligible = [b for b in opened if b.get("eligible")]
    members = await PanelMember.select().where(PanelMember.tender == tender_id)
    everyone_done = all(m["submitted_at"] for m in common.active_members(members))
    member_ids = (
        [m["id"] for m in common.active_members(members)] if everyone_done else [member["id"]]
    )
    scores = await Score.select().where(Score.member.is_in(member_ids))
    names = {m["id"]: m["display_name"] for m in members}
    mine = {(s["bid"], s["criterion"]): s for s in scores if s["member"] == member["id"]}
    return {
        "tender": common.decorate(row),
        "member": member,
        "bids": eligible,
        "criteria": [c for c in common.criteria_of(row["criteria"]) if c.panel_scored],
        # §3a: filled from the hospital's records, shown read-only.
        "past_criteria": [c for c in common.criteria_of(row["criteria"]) if c.is_past_performance],
        "mine": {
            k: {"score": db.two_places(s["score"]), "comment": s["comment"]}
            for k, s in mine.items()
        },
        "everyone": [
            {**s, "score": db.two_places(s["score"]), "evaluator": names[s["member"]]}
            for s in scores
        ]
        if everyone_done
        else [],
        "everyone_done": everyone_done,
    }


@dataclass(frozen=True)
class ScoreInput:
    bid_id: int
    criterion: str
    score: Decimal | None
    comment: str = ""


async def save_scores(
    actor: Principal, tender_id: int, entries: list[ScoreInput], submit: bool, dissent: str = ""
) -> None:
    """Save (and, with submit, hand in) an evaluator's scores: 0–100 per non-price criterion
    of each eligible bid. Submitted scores are final."""
    async with db.transaction():
        # Everything is checked under the tender's lock: a second tab may submit, a review
        # change what is in the running, or the officer close scoring at the same moment.
        await common.tender_row(tender_id, lock=True)
        await _save_scores(actor, tender_id, entries, submit, dissent)


async def _save_scores(
    actor: Principal, tender_id: int, entries: list[ScoreInput], submit: bool, dissent: str
) -> None:
    """save_scores' checks and writes, run under the tender's lock."""
    sheet = await scoring_sheet(actor, tender_id)
    member = sheet["member"]
    tender = sheet["tender"]
    if tender["status"] != Status.opened:
        raise Conflict(_("Scoring is closed; the scores can no longer change."))
    if member["submitted_at"] is not None:
        raise Conflict(_("Scores: you have submitted them already; submitted scores are final."))
    bid_ids = {b["id"] for b in sheet["bids"]}
    keys = {c.key for c in sheet["criteria"]}
    errors = Collector()
    for i, e in enumerate(entries):
        where = f"scores[{i}]"
        if e.bid_id not in bid_ids:
            errors.add(f"{where}.bid_id", "eligible", _("Bid: this bid is not open to scoring."))
        if e.criterion not in keys:
            errors.add(
                f"{where}.criterion",
                "criterion",
                _("Criterion: choose one of %(keys)s.", keys=joined(sorted(keys))),
            )
        if e.score is None:
            errors.add(f"{where}.score", "required", _("Score: give a score from 0 to 100."))
        elif not rules.is_score(e.score):
            errors.add(
                f"{where}.score",
                "range",
                _("Score: from 0 to 100, with at most 2 decimals."),
            )
    dissent = (dissent or "").strip()
    if len(dissent) > MAX_DISSENT:
        errors.add("dissent", "length", _("Dissent: at most %(n)s characters.", n=MAX_DISSENT))
    given = {(e.bid_id, e.criterion) for e in entries} | set(sheet["mine"])
    if submit:
        missing = [(b, k) for b in sorted(bid_ids) for k in sorted(keys) if (b, k) not in given]
        if missing:
            errors.add(
                "scores",
                "complete",
                ngettext(
                    "Scores: %(num)s score is missing; score every bid on every criterion.",
                    "Scores: %(num)s scores are missing; score every bid on every criterion.",
                    len(missing),
                ),
            )
    errors.raise_if_any()
    for e in entries:
        await Score.delete().where(
            (Score.member == member["id"])
            & (Score.bid == e.bid_id)
            & (Score.criterion == e.criterion)
        )
        await Score(
            member=member["id"],
            bid=e.bid_id,
            criterion=e.criterion,
            score=e.score,
            comment=e.comment.strip(),
        ).save()
    if submit:
        # A dissenting opinion is handed in with the final scores; the report prints it.
        await PanelMember.update(
            {PanelMember.submitted_at: common.now(), PanelMember.dissent: dissent}
        ).where(PanelMember.id == member["id"])
    await audit.record(
        actor,
        "panel_member",
        member["id"],
        "submit_scores" if submit else "save_scores",
        None,
        {
            "tender": tender["reference"],
            "scores": [[e.bid_id, e.criterion, e.score] for e in entries],
            **({"dissent": dissent} if submit and dissent else {}),
        },
    )
