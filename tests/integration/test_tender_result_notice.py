"""The result notice (中标结果公告) and the award notice (中标通知书), §3a: published by the
officer (with a confirmation) within 2 working days of the award, once; naming the winner,
its price, the candidates' ranks and totals and the panel; as PDFs, in the OCDS release; the
award notice for the winner and the officers only; overdue ones on the officers' dashboard."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal as D

import pytest
from pypdf import PdfReader

from tests.conftest import http_client, in_chinese, log_in
from tests.integration.test_tender_documents import _assert_valid
from tests.integration.test_tender_races import actions, as_user, with_panel
from tests.integration.test_tenders import (
    Bidder,
    bid,
    bidder,
    declare_and_score,
    pass_deadline,
    published,
)
from vendorgov.accounts.roles import Principal
from vendorgov.errors import Conflict
from vendorgov.notifications.tables import Notification
from vendorgov.tenders import awarding, evaluation, opening, reading, results
from vendorgov.tenders import result_rules as deadlines
from vendorgov.tenders.result_dates import calendar_from, local_day, today
from vendorgov.tenders.tables import Tender

PRICES = ("800000.00", "810000.00", "820000.00")
# Every evaluator gives 80 (technical, weight 40) and 70 (service, weight 30); price weighs 30:
# 800,000 → 30 + 32 + 21 = 83.00; 810,000 → 0.3 × 98.7654 + 53 = 82.63;
# 820,000 → 0.3 × 97.5610 + 53 = 82.27.
TOTALS = ["83.00", "82.63", "82.27"]


@dataclass
class Awarded:
    tender_id: int
    bidders: list[Bidder]  # in PRICES order: the first won
    bid_ids: list[int]
    panel: list[Principal]
    contract_id: int


async def awarded_tender(world, **overrides) -> Awarded:
    """A tender of three bidders run to award: the 800,000 bid wins."""
    officer = world.principals["procurement"]
    tender_id = await published(world, **overrides)
    bidders = [await bidder(world) for _ in PRICES]
    receipts = [await bid(b, tender_id, p) for b, p in zip(bidders, PRICES, strict=True)]
    await pass_deadline(tender_id)
    await opening.open_tender(officer, tender_id)
    panel = await with_panel(world, tender_id)
    bid_ids = [r["bid_id"] for r in receipts]
    scores = {b: {"technical": ["80"] * 5, "service": ["70"] * 5} for b in bid_ids}
    await declare_and_score(tender_id, panel, scores)
    await evaluation.close_evaluation(officer, tender_id)
    contract_id = await awarding.award(officer, tender_id, bid_ids[0])
    return Awarded(tender_id, bidders, bid_ids, panel, contract_id)


def pdf_text(body: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


async def test_the_officer_publishes_the_notice_once_with_confirmation(world, app, login, api):
    officer = world.principals["procurement"]
    t = await awarded_tender(world)
    winner, second, third = t.bidders
    # The dashboard shows the longest-waiting notices: other tests' awards wait too, so this
    # one is made the longest-waiting (a second before the earliest).
    waiting = (
        await Tender.select(Tender.awarded_at)
        .where((Tender.status == "awarded") & (Tender.id != t.tender_id))
        .order_by(Tender.awarded_at)
        .first()
    )
    if waiting:
        await Tender.update(
            {Tender.awarded_at: waiting["awarded_at"] - timedelta(seconds=1)}
        ).where(Tender.id == t.tender_id)
    row = await Tender.select().where(Tender.id == t.tender_id).first()
    awarded_on = local_day(row["awarded_at"])
    due = deadlines.notice_due(awarded_on, await calendar_from(awarded_on))
    late = deadlines.is_overdue(due, today())

    # Before publication: the officer sees a preview and its due day; bidders nothing.
    preview = await results.notice(officer, t.tender_id)
    assert not preview["published"] and preview["due"] == due and preview["overdue"] == late
    with pytest.raises(Conflict):
        await results.notice(second.principal, t.tender_id)
    reminders = await reading.reminders(officer)
    mine = [r for r in reminders if r["tender"]["id"] == t.tender_id]
    expected = (
        f"result notice overdue (due {due})" if late else f"publish the result notice by {due}"
    )
    assert [r["what"] for r in mine] == [expected]

    async with login("procurement") as page:
        shown = await page.get(f"/tenders/{t.tender_id}/notice")
        assert shown.status_code == 200 and "Publish the result notice" in shown.text
        assert winner.name in shown.text and "83.00" in shown.text
        token = _csrf(shown.text)
        refused = await page.post(f"/tenders/{t.tender_id}/notice", data={"_csrf_token": token})
        assert refused.status_code == 422 and "tick the box" in refused.text
        assert await results.notice_row(t.tender_id) is None
        done = await page.post(
            f"/tenders/{t.tender_id}/notice", data={"_csrf_token": token, "confirm": "yes"}
        )
        assert done.status_code == 200 and "Result notice published" in done.text

    first = await results.notice(officer, t.tender_id)
    assert first["published"] and not first["late"]
    async with api("procurement") as c:  # again: the notice as first published
        again = await c.post(f"/api/tenders/{t.tender_id}/result-notice")
    assert again.status_code == 200, again.text
    assert datetime.fromisoformat(again.json()["published_at"]) == first["published_at"]
    assert len(await actions("tender", t.tender_id, "publish_result_notice")) == 1

    content = first["content"]
    assert content["winner"]["vendor_name"] == winner.name
    assert content["winner"]["price"] == D("800000.00")
    assert [
        (c["candidate"], c["rank"], c["vendor_name"], str(c["total"]))
        for c in content["candidates"]
    ] == [
        (1, 1, winner.name, TOTALS[0]),
        (2, 2, second.name, TOTALS[1]),
        (3, 3, third.name, TOTALS[2]),
    ]
    assert sorted(content["panel"]) == sorted(p.display_name for p in t.panel)
    assert [r for r in await reading.reminders(officer) if r["tender"]["id"] == t.tender_id] == []

    # Every bidder reads the notice (and its own rank), and was told.
    async with as_user(app, second.principal) as c:
        notice = await c.get(f"/api/tenders/{t.tender_id}/result-notice")
        assert notice.status_code == 200, notice.text
        assert notice.json()["content"]["winner"]["vendor_name"] == winner.name
        own = (await c.get(f"/api/tenders/{t.tender_id}/results")).json()["own"]
        assert (own["rank"], own["total"]) == (2, "82.63")
    told = await Notification.select(Notification.user).where(
        (Notification.kind == "tender.result_published")
        & (Notification.key.like(f"tender:{t.tender_id}:result_notice:%"))
    )
    assert {n["user"] for n in told} == {b.principal.user_id for b in t.bidders}
    stranger = await bidder(world)
    async with as_user(app, stranger.principal) as c:
        assert (await c.get(f"/api/tenders/{t.tender_id}/result-notice")).status_code == 404

    # OCDS: the award carries the notice as its document.
    async with api("procurement") as c:
        release = (await c.get(f"/api/tenders/{t.tender_id}/ocds")).json()
    _assert_valid(release)
    document = release["awards"][0]["documents"][0]
    assert document["documentType"] == "awardNotice" and document["title"] == "中标结果公告"
    published_at = first["published_at"].replace(microsecond=0)
    assert datetime.fromisoformat(document["datePublished"]) == published_at


async def test_result_and_award_notice_pdfs_and_who_reads_them(world, app, api):
    t = await awarded_tender(world)
    winner, second, _ = t.bidders
    async with api("procurement") as c:
        assert (await c.get(f"/api/tenders/{t.tender_id}/result-notice.pdf")).status_code == 409
        assert (await c.get(f"/api/tenders/{t.tender_id}/award-notice.pdf")).status_code == 409
        assert (await c.post(f"/api/tenders/{t.tender_id}/result-notice")).status_code == 200
        with in_chinese(c):
            pdf = await c.get(f"/api/tenders/{t.tender_id}/result-notice.pdf")
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        text = pdf_text(pdf.content)
        for expected in (
            "中标结果公告",
            winner.name,
            second.name,
            "800,000.00",
            "人民币捌拾万元整",
            *TOTALS,
            *(p.display_name for p in t.panel),
            "质疑",
        ):
            assert expected in text.replace("\n", ""), expected
        award = await c.get(f"/api/tenders/{t.tender_id}/award-notice.pdf")
        assert award.status_code == 200
        award_text = pdf_text(award.content).replace("\n", "")
        for expected in ("中标通知书", winner.name, "800,000.00", "人民币捌拾万元整"):
            assert expected in award_text, expected
        assert second.name not in award_text
    # The award notice: the winner's users and the officers only.
    async with as_user(app, winner.principal) as c:
        assert (await c.get(f"/api/tenders/{t.tender_id}/award-notice.pdf")).status_code == 200
        assert (await c.get(f"/api/tenders/{t.tender_id}/result-notice.pdf")).status_code == 200
    async with as_user(app, second.principal) as c:
        assert (await c.get(f"/api/tenders/{t.tender_id}/award-notice.pdf")).status_code == 404
        assert (await c.get(f"/api/tenders/{t.tender_id}/result-notice.pdf")).status_code == 200
    async with as_user(app, t.panel[0]) as c:
        assert (await c.get(f"/api/tenders/{t.tender_id}/award-notice.pdf")).status_code == 403
    for role in ("admin", "finance"):
        async with api(role) as c:
            assert (await c.get(f"/api/tenders/{t.tender_id}/award-notice.pdf")).status_code == 403
    # The winner's page links both notices; a loser's only the result notice.
    async with http_client(app) as c:
        await log_in(c, winner.principal.username)
        page = (await c.get(f"/tenders/{t.tender_id}/notice")).text
        assert "award-notice.pdf" in page and "notice.pdf" in page
    async with http_client(app) as c:
        await log_in(c, second.principal.username)
        page = (await c.get(f"/tenders/{t.tender_id}/notice")).text
        assert "award-notice.pdf" not in page and "File a challenge" in page


async def test_an_overdue_notice_is_on_the_officers_dashboard(world, login):
    officer = world.principals["procurement"]
    t = await awarded_tender(world)
    await Tender.update({Tender.awarded_at: Tender.awarded_at - timedelta(days=12)}).where(
        Tender.id == t.tender_id
    )
    row = await Tender.select().where(Tender.id == t.tender_id).first()
    awarded_on = local_day(row["awarded_at"])
    due = deadlines.notice_due(awarded_on, await calendar_from(awarded_on))
    mine = [r for r in await reading.reminders(officer) if r["tender"]["id"] == t.tender_id]
    assert [r["what"] for r in mine] == [f"result notice overdue (due {due.isoformat()})"]
    async with login("procurement") as page:
        home = await page.get("/")
        assert f"result notice overdue (due {due.isoformat()})" in home.text
    published = await results.publish(officer, t.tender_id)
    assert published["late"]  # published after its due day: shown so


async def test_no_notice_before_the_award(world, api):
    tender_id = await published(world)
    async with api("procurement") as c:
        response = await c.post(f"/api/tenders/{tender_id}/result-notice")
        assert response.status_code == 409, response.text
        assert "award" in response.json()["detail"]
        assert (await c.get(f"/api/tenders/{tender_id}/result-notice")).status_code == 409
    async with api("vendor") as c:  # the seeded vendor may see the published tender
        assert (await c.post(f"/api/tenders/{tender_id}/result-notice")).status_code == 403


def _csrf(html: str) -> str:
    from tests.conftest import CSRF_RE

    match = CSRF_RE.search(html)
    assert match
    return match.group(1)
