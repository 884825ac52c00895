"""Challenges (质疑, §3a): filed by a bidder within 7 working days of the result notice
(later: 422 naming the deadline), answered by the officer within 7 working days, blocking the
award's contract from signing while open; each vendor sees only its own; filing and answering
are atomic (races on PostgreSQL through real concurrent requests)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

from tests.conftest import CSRF_RE, http_client, log_in
from tests.integration.test_tender_races import actions, as_user, codes, loser
from tests.integration.test_tender_result_notice import awarded_tender
from tests.integration.test_tenders import bidder
from vendorgov.contracts import service as contracts
from vendorgov.notifications.tables import Notification
from vendorgov.tenders import challenges, reading, results
from vendorgov.tenders import result_rules as deadlines
from vendorgov.tenders.result_dates import calendar_from, today
from vendorgov.tenders.tables import ResultNotice

GROUNDS = "评分中第二名的技术方案得分明显偏高，请复核评审过程。"


async def noticed(world):
    t = await awarded_tender(world)
    await results.publish(world.principals["procurement"], t.tender_id)
    return t


async def test_a_bidder_files_and_the_officer_answers(world, app, api):
    officer = world.principals["procurement"]
    t = await noticed(world)
    winner, second, third = t.bidders
    path = f"/api/tenders/{t.tender_id}/challenges"
    async with as_user(app, second.principal) as c:
        filed = await c.post(path, json={"grounds": GROUNDS})
        assert filed.status_code == 201, filed.text
        first = filed.json()
        due = deadlines.answer_due(today(), await calendar_from(today()))
        assert first["answer_due"] == due.isoformat() and first["status"] == "open"
        # The same grounds again (a second click): the first challenge.
        again = await c.post(path, json={"grounds": GROUNDS})
        assert again.status_code == 201 and again.json()["id"] == first["id"]
        # Other grounds: a challenge of its own.
        other = await c.post(path, json={"grounds": "报价得分计算有误，请公布计算过程。"})
        assert other.status_code == 201 and other.json()["id"] != first["id"]
        short = await c.post(path, json={"grounds": "不服"})
        assert short.status_code == 422 and short.json()["errors"][0]["field"] == "grounds"
        mine = (await c.get(path)).json()
        assert [m["id"] for m in mine] == [first["id"], other.json()["id"]]
    assert len(await actions("challenge", first["id"], "file")) == 1
    told = await Notification.select(Notification.user).where(
        (Notification.kind == "tender.challenge_filed")
        & Notification.key.like(f"challenge:{first['id']}:filed:%")
    )
    assert officer.user_id in {n["user"] for n in told}
    # The officer's dashboard: answer by the due day.
    whats = [
        r["what"] for r in await reading.reminders(officer) if r["tender"]["id"] == t.tender_id
    ]
    assert f"answer the challenge by {due.isoformat()}" in whats

    # Another bidder sees none of them; a vendor that did not bid cannot file (404).
    async with as_user(app, third.principal) as c:
        assert (await c.get(path)).json() == []
        assert (await c.get(f"/api/challenges/{first['id']}")).status_code == 404
    stranger = await bidder(world)
    async with as_user(app, stranger.principal) as c:
        assert (await c.post(path, json={"grounds": GROUNDS})).status_code == 404
        assert (await c.get(f"/api/challenges/{first['id']}")).status_code == 404
    async with as_user(app, t.panel[0]) as c:
        assert (await c.get(path)).status_code == 403

    async with api("procurement") as c:
        answer = "经复核，评审过程符合招标文件规定，维持原评审结果。"
        answered = await c.post(f"/api/challenges/{first['id']}/answer", json={"answer": answer})
        assert answered.status_code == 200, answered.text
        assert answered.json()["status"] == "answered"
        same = await c.post(f"/api/challenges/{first['id']}/answer", json={"answer": answer})
        assert same.status_code == 200
        changed = await c.post(
            f"/api/challenges/{first['id']}/answer", json={"answer": "另一个答复内容。"}
        )
        assert changed.status_code == 409 and "answered already" in changed.json()["detail"]
        everyone = (await c.get(path)).json()
        assert {e["vendor_name"] for e in everyone} == {second.name}
    async with as_user(app, second.principal) as c:
        read = (await c.get(f"/api/challenges/{first['id']}")).json()
        assert read["answer"] == answer
    assert winner  # the winner filed nothing
    assert (await challenges.get(officer, first["id"]))["status"] == "answered"


async def test_an_open_challenge_blocks_the_awards_contract_from_signing(world, app, api):
    t = await noticed(world)
    second = t.bidders[1]
    async with as_user(app, second.principal) as c:
        filed = (
            await c.post(f"/api/tenders/{t.tender_id}/challenges", json={"grounds": GROUNDS})
        ).json()
    sign = f"/api/contracts/{t.contract_id}/versions/1/sign"
    async with api("procurement") as c:
        blocked = await c.post(sign)
        assert blocked.status_code == 409, blocked.text
        detail = blocked.json()["detail"]
        assert f"challenge {filed['id']}" in detail and second.name in detail and "open" in detail
        contract = await contracts.get_contract(world.principals["procurement"], t.contract_id)
        assert contract["status"] == "draft"
        answer = {"answer": "经复核，维持原评审结果。"}
        assert (await c.post(f"/api/challenges/{filed['id']}/answer", json=answer)).is_success
        signed = await c.post(sign)
        assert signed.status_code == 200, signed.text


async def test_a_challenge_after_seven_working_days_is_refused_naming_the_deadline(world, app):
    t = await noticed(world)
    # The notice went out on Tuesday 30 September 2025, before National Day (1–8 October
    # off, Saturday 11 October a make-up working day): the 7th working day is Thursday 16.
    at = datetime(2025, 9, 30, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
    await ResultNotice.update({ResultNotice.published_at: at}).where(
        ResultNotice.tender == t.tender_id
    )
    period = await challenges.period(t.tender_id)
    assert period["deadline"] == date(2025, 10, 16) and not period["open"]
    async with as_user(app, t.bidders[1].principal) as c:
        late = await c.post(f"/api/tenders/{t.tender_id}/challenges", json={"grounds": GROUNDS})
    assert late.status_code == 422, late.text
    error = late.json()["errors"][0]
    assert error["field"] == "grounds" and error["rule"] == "challenge_period"
    assert "2025-10-16" in error["message"]


async def test_no_challenge_before_the_notice(world, app):
    t = await awarded_tender(world)
    async with as_user(app, t.bidders[1].principal) as c:
        early = await c.post(f"/api/tenders/{t.tender_id}/challenges", json={"grounds": GROUNDS})
    assert early.status_code == 409 and "result notice" in early.json()["detail"]


async def test_filing_and_answering_through_the_pages(world, app):
    t = await noticed(world)
    async with http_client(app) as c:
        await log_in(c, t.bidders[2].principal.username)
        page = await c.get(f"/tenders/{t.tender_id}/notice")
        assert "File a challenge" in page.text
        token = CSRF_RE.search(page.text).group(1)
        refused = await c.post(
            f"/tenders/{t.tender_id}/challenges", data={"_csrf_token": token, "grounds": "短"}
        )
        assert refused.status_code == 422 and 'name="grounds"' in refused.text
        filed = await c.post(
            f"/tenders/{t.tender_id}/challenges", data={"_csrf_token": token, "grounds": GROUNDS}
        )
        assert filed.status_code == 200 and "Challenge filed" in filed.text
    [challenge] = await challenges.of_tender(world.principals["procurement"], t.tender_id)
    async with http_client(app) as c:
        await log_in(c, "t.procurement")
        page = await c.get(f"/tenders/{t.tender_id}/notice")
        assert GROUNDS in page.text and "Send the answer" in page.text
        token = CSRF_RE.search(page.text).group(1)
        action = f"/tenders/{t.tender_id}/challenges/{challenge['id']}/answer"
        unconfirmed = await c.post(action, data={"_csrf_token": token, "answer": "维持原结果。"})
        assert unconfirmed.status_code == 422 and "tick the box" in unconfirmed.text
        assert "维持原结果。" in unconfirmed.text  # the answer typed is kept
        done = await c.post(
            action, data={"_csrf_token": token, "answer": "维持原结果。", "confirm": "yes"}
        )
        assert done.status_code == 200 and "Answer sent" in done.text
    async with http_client(app) as c:
        await log_in(c, t.bidders[2].principal.username)
        page = await c.get(f"/tenders/{t.tender_id}/notice")
        assert "维持原结果。" in page.text


# --- races (real concurrent requests; on PostgreSQL separate connections) --------------------


async def test_two_answers_at_once_one_wins(world, app, api):
    t = await noticed(world)
    async with as_user(app, t.bidders[1].principal) as c:
        filed = (
            await c.post(f"/api/tenders/{t.tender_id}/challenges", json={"grounds": GROUNDS})
        ).json()
    async with api("procurement") as c:
        responses = await asyncio.gather(
            *[
                c.post(f"/api/challenges/{filed['id']}/answer", json={"answer": text})
                for text in ("经复核，维持原评审结果。", "经复核，质疑成立，重新评审。")
            ]
        )
    assert codes(responses) == [200, 409], [r.text for r in responses]
    assert "answered already" in loser(responses).json()["detail"]
    assert len(await actions("challenge", filed["id"], "answer")) == 1


async def test_one_challenge_sent_twice_at_once_is_filed_once(world, app):
    t = await noticed(world)
    async with as_user(app, t.bidders[1].principal) as c:
        path = f"/api/tenders/{t.tender_id}/challenges"
        responses = await asyncio.gather(
            *[c.post(path, json={"grounds": GROUNDS}) for _ in range(2)]
        )
    assert codes(responses) == [201, 201], [r.text for r in responses]
    assert responses[0].json()["id"] == responses[1].json()["id"]
    assert len(await challenges.of_tender(world.principals["procurement"], t.tender_id)) == 1


async def test_open_challenges_are_listed_for_the_staff(world, app, api, login):
    t = await noticed(world)
    async with as_user(app, t.bidders[2].principal) as c:
        filed = (
            await c.post(f"/api/tenders/{t.tender_id}/challenges", json={"grounds": GROUNDS})
        ).json()
        assert (await c.get("/api/challenges")).status_code == 403
    async with api("admin") as c:
        listed = await c.get("/api/challenges", params={"page_size": 200})
        assert listed.status_code == 200, listed.text
        assert filed["id"] in [x["id"] for x in listed.json()["items"]]
        assert (await c.get("/api/challenges", params={"status": "lost"})).status_code == 422
        assert (await c.get("/api/challenges", params={"sort": "grounds"})).status_code == 422
    async with login("procurement") as c:
        page = await c.get("/tenders/challenges", params={"page_size": 200})
        assert page.status_code == 200 and f"#challenge-{filed['id']}" in page.text
        answered = await c.get("/tenders/challenges", params={"status": "answered"})
        assert f"#challenge-{filed['id']}" not in answered.text
