"""Clarifications (§3a): bidders' questions and the officer's answers published to every bidder
without naming who asked; inside the margin (15 calendar days, consultation 5) the deadline is
postponed to restore it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import csrf_token
from tests.integration.test_tender_races import as_user
from tests.integration.test_tenders import bidder, published
from vendorgov.audit.tables import AuditEntry
from vendorgov.errors import Conflict, Forbidden, InvalidInput, NotFound
from vendorgov.tenders import clarifications, reading
from vendorgov.tenders.tables import Clarification, Tender

QUESTION = "医疗废物收运是否包含夜间时段？"
ANSWER = "包含，夜间22:00至次日6:00按需收运。"


async def deadline_of(tender_id: int) -> datetime:
    return (await Tender.select(Tender.bid_deadline).where(Tender.id == tender_id).first())[
        "bid_deadline"
    ]


async def published_at(clarification_id: int) -> datetime:
    row = await Clarification.select(Clarification.published_at).where(
        Clarification.id == clarification_id
    )
    return row[0]["published_at"]


async def test_an_answer_goes_to_every_bidder_anonymously_and_postpones_a_near_deadline(world):
    officer = world.principals["procurement"]
    tender_id = await published(world)  # deadline 2 hours ahead
    asker, other = await bidder(world), await bidder(world)
    outsider = await bidder(world, category="security")
    question_id = await clarifications.ask(asker.principal, tender_id, QUESTION)
    # Until answered only the asker and the officers see the question.
    assert [c["yours"] for c in await clarifications.of_tender(asker.principal, tender_id)] == [
        True
    ]
    assert await clarifications.of_tender(other.principal, tender_id) == []
    assert len(await clarifications.of_tender(officer, tender_id)) == 1
    with pytest.raises(NotFound):
        await clarifications.ask(outsider.principal, tender_id, QUESTION)
    with pytest.raises(Forbidden):
        await clarifications.ask(officer, tender_id, QUESTION)
    with pytest.raises(Forbidden):
        await clarifications.publish(asker.principal, tender_id, ANSWER, question_id)
    with pytest.raises(InvalidInput) as refused:
        await clarifications.ask(asker.principal, tender_id, "?")
    assert refused.value.errors[0].field == "question"

    before = await deadline_of(tender_id)
    done = await clarifications.publish(officer, tender_id, ANSWER, question_id)
    # Published 2 hours before the deadline, inside the 15-day margin: the deadline becomes
    # the publication moment + 15 days exactly.
    at = await published_at(question_id)
    assert done["bid_deadline"] == at + timedelta(days=15) == await deadline_of(tender_id)
    assert done["bid_deadline"] > before
    seen = await clarifications.of_tender(other.principal, tender_id)
    assert [(c["question"], c["answer"], c["yours"]) for c in seen] == [(QUESTION, ANSWER, False)]
    assert asker.name not in repr(seen) and "asked_by" not in repr(seen)
    # The same answer again changes nothing; another one is refused; the deadline stays.
    again = await clarifications.publish(officer, tender_id, ANSWER, question_id)
    assert again["bid_deadline"] == done["bid_deadline"]
    with pytest.raises(Conflict):
        await clarifications.publish(officer, tender_id, "另一个答复内容", question_id)
    postponed = await AuditEntry.select(AuditEntry.before, AuditEntry.after).where(
        (AuditEntry.entity == "tender")
        & (AuditEntry.entity_id == str(tender_id))
        & (AuditEntry.action == "postpone_deadline")
    )
    assert len(postponed) == 1
    # Who asked is not in the trail beside the tender either.
    ask_entries = await AuditEntry.select(AuditEntry.actor).where(
        (AuditEntry.entity == "clarification") & (AuditEntry.action == "ask")
    )
    assert {e["actor"] for e in ask_entries} == {"bidder (sealed until opening)"}


async def test_a_clarification_outside_the_margin_keeps_the_deadline_and_consultation_uses_5(
    world,
):
    officer = world.principals["procurement"]
    far = datetime.now(UTC) + timedelta(days=20)
    tender_id = await published(world, bid_deadline=far)
    done = await clarifications.publish(officer, tender_id, "补充说明：投标文件份数为一正四副。")
    assert done["bid_deadline"] == await deadline_of(tender_id)
    assert abs(done["bid_deadline"] - far) < timedelta(seconds=1)

    consultation = await published(world, method="consultation")
    done = await clarifications.publish(officer, consultation, "补充说明：磋商分两轮进行。")
    assert done["bid_deadline"] == await published_at(done["id"]) + timedelta(days=5)
    # After the deadline nothing more is clarified.
    await Tender.update({Tender.bid_deadline: datetime.now(UTC)}).where(Tender.id == tender_id)
    with pytest.raises(Conflict):
        await clarifications.publish(officer, tender_id, "截止后的补充说明内容")


async def test_the_tender_page_asks_and_answers(world, login):
    tender_id = await published(world)
    async with login("vendor") as c:
        token = await csrf_token(c, f"/tenders/{tender_id}")
        refused = await c.post(
            f"/tenders/{tender_id}/questions", data={"question": "", "_csrf_token": token}
        )
        assert refused.status_code == 422 and "between 5 and" in refused.text
        sent = await c.post(
            f"/tenders/{tender_id}/questions", data={"question": QUESTION, "_csrf_token": token}
        )
        assert sent.status_code == 200 and QUESTION in sent.text
    (pending,) = await clarifications.of_tender(world.principals["procurement"], tender_id)
    async with login("procurement") as c:
        token = await csrf_token(c, f"/tenders/{tender_id}")
        form = {"question_id": str(pending["id"]), "answer": ANSWER, "_csrf_token": token}
        answered = await c.post(f"/tenders/{tender_id}/clarifications", data=form)
        assert answered.status_code == 200 and ANSWER in answered.text
    tender = await reading.get_tender(world.principals["procurement"], tender_id)
    assert tender["bid_deadline"] > datetime.now(UTC) + timedelta(days=14)


async def test_two_answers_at_once_publish_once_and_postpone_once(world, app):
    tender_id = await published(world)
    asker = await bidder(world)
    question_id = await clarifications.ask(asker.principal, tender_id, QUESTION)
    async with as_user(app, world.principals["procurement"]) as c:
        body = {"answer": ANSWER, "question_id": question_id}
        responses = await asyncio.gather(
            *[c.post(f"/api/tenders/{tender_id}/clarifications", json=body) for _ in range(2)]
        )
        assert [r.status_code for r in responses] == [200, 200], [r.text for r in responses]
        assert responses[0].json() == responses[1].json()
        other = {"answer": "另一个不同的答复", "question_id": question_id}
        assert (
            await c.post(f"/api/tenders/{tender_id}/clarifications", json=other)
        ).status_code == 409
        listed = (await c.get(f"/api/tenders/{tender_id}/clarifications")).json()
        assert [x["answer"] for x in listed] == [ANSWER]
    postponed = await AuditEntry.count().where(
        (AuditEntry.entity == "tender")
        & (AuditEntry.entity_id == str(tender_id))
        & (AuditEntry.action == "postpone_deadline")
    )
    assert postponed == 1
    async with as_user(app, asker.principal) as c:
        asked = await c.post(f"/api/tenders/{tender_id}/questions", json={"question": QUESTION})
        assert asked.status_code == 201
        assert (
            await c.post("/api/tenders/999999/questions", json={"question": QUESTION})
        ).status_code == 404
