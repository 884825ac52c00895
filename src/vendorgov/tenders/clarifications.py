"""Clarifications (澄清 / 答疑, §3a): bidders ask, the officer answers or clarifies unasked;
each answer is published to every bidder without naming who asked, and one published fewer
than the margin (15 calendar days, consultation 5) before the deadline postpones it."""

from __future__ import annotations

from vendorgov import db
from vendorgov.accounts.roles import Principal
from vendorgov.audit import service as audit
from vendorgov.errors import Conflict, Forbidden, InvalidInput, NotFound
from vendorgov.i18n import N_, _
from vendorgov.settings import get_settings
from vendorgov.tenders import common, rules
from vendorgov.tenders.rules import Method, Status
from vendorgov.tenders.tables import Clarification, Tender

MAX_TEXT = 4000


# The fields a clarification is written in, as their messages name them.
_LABELS = {"question": N_("Question"), "answer": N_("Answer")}


def _text(field: str, text: str) -> str:
    text = (text or "").strip()
    if not 5 <= len(text) <= MAX_TEXT:
        raise InvalidInput.single(
            field,
            "length",
            _(
                "%(label)s: between 5 and %(max)s characters.",
                label=_(_LABELS.get(field, field)),
                max=MAX_TEXT,
            ),
        )
    return text


def _ensure_open(row: dict) -> None:
    if row["status"] != Status.published or common.now() >= row["bid_deadline"]:
        raise Conflict(
            _(
                "Questions and clarifications are possible from publication until the bid "
                "deadline only."
            )
        )


def margin_days(method: str) -> int:
    settings = get_settings()
    if method == Method.consultation:
        return settings.clarification_margin_days_consultation
    return settings.clarification_margin_days


async def ask(actor: Principal, tender_id: int, question: str) -> int:
    """A vendor that may bid asks a question; only it and the officers see it until answered."""
    if not actor.is_vendor:
        raise Forbidden(_("Questions come from the bidders."))
    row = await common.tender_row(tender_id)
    await common.ensure_reader(actor, row)
    question = _text("question", question)
    async with db.transaction():
        row = await common.tender_row(tender_id, lock=True)
        _ensure_open(row)
        asked = Clarification(
            tender=tender_id,
            question=question,
            asked_by_vendor=actor.vendor_id,
            asked_at=common.now(),
        )
        await asked.save()
        # Who asks is not recorded beside the tender: it could tell who means to bid.
        await audit.record(
            common.SEALED_BIDDER, "clarification", asked.id, "ask", None, {"tender": tender_id}
        )
    return asked.id


async def publish(
    actor: Principal, tender_id: int, answer: str, question_id: int | None = None
) -> dict:
    """The officer publishes an answer to a question (or, with no question, a clarification
    unasked) to every bidder; inside the margin the deadline is postponed to restore it.
    Answering an answered question again with the same text changes nothing; with another
    text it is refused (409): a published answer stands."""
    common.ensure_officer(actor)
    answer = _text("answer", answer)
    async with db.transaction():
        row = await common.tender_row(tender_id, lock=True)
        if question_id is not None:
            asked = await db.locked(
                Clarification.select().where(
                    (Clarification.id == question_id) & (Clarification.tender == tender_id)
                )
            ).first()
            if asked is None:
                raise NotFound(N_("question"), question_id)
            if asked["published_at"] is not None:
                if asked["answer"] == answer:
                    return {"id": question_id, "bid_deadline": row["bid_deadline"]}
                raise Conflict(
                    _("Answer: this question was answered and published already; it stands.")
                )
        _ensure_open(row)
        now = common.now()
        if question_id is None:
            published = Clarification(
                tender=tender_id, answer=answer, answered_by=actor.username, published_at=now
            )
            await published.save()
            question_id = published.id
        else:
            await Clarification.update(
                {
                    Clarification.answer: answer,
                    Clarification.answered_by: actor.username,
                    Clarification.published_at: now,
                }
            ).where(Clarification.id == question_id)
        deadline = rules.postponed_deadline(row["bid_deadline"], now, margin_days(row["method"]))
        await audit.record(
            actor, "clarification", question_id, "publish", None, {"tender": tender_id}
        )
        if deadline != row["bid_deadline"]:
            await Tender.update({Tender.bid_deadline: deadline, Tender.updated_at: now}).where(
                Tender.id == tender_id
            )
            await audit.record(
                actor,
                "tender",
                tender_id,
                "postpone_deadline",
                {"bid_deadline": row["bid_deadline"]},
                {"bid_deadline": deadline, "reason": f"clarification {question_id}"},
            )
    return {"id": question_id, "bid_deadline": deadline}


async def of_tender(principal: Principal, tender_id: int) -> list[dict]:
    """The published clarifications (question and answer, never who asked), oldest first; the
    officers also see the questions waiting, a vendor its own."""
    row = await common.tender_row(tender_id)
    await common.ensure_reader(principal, row)
    rows = (
        await Clarification.select()
        .where(Clarification.tender == tender_id)
        .order_by(Clarification.id)
    )
    shown = []
    for r in rows:
        mine = principal.is_vendor and r["asked_by_vendor"] == principal.vendor_id
        if r["published_at"] is None and principal.role not in common.STAFF and not mine:
            continue
        shown.append(
            {
                "id": r["id"],
                "question": r["question"],
                "asked_at": r["asked_at"],
                "answer": r["answer"],
                "published_at": r["published_at"],
                "yours": mine,
            }
        )
    return shown
