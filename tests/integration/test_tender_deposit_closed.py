"""Bid security of a failed or cancelled tender (§3a): every bidder's deposit falls due 5
working days after the tender failed or was cancelled, so a late refund shows in the overdue
list; a deposit recorded after the failure gets the same due day."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal as D

from tests.integration.test_tenders import bid, bidder, pass_deadline, published
from vendorgov.paging import PageRequest
from vendorgov.settings import get_settings
from vendorgov.tenders import deposits, evaluation, opening, publication
from vendorgov.tenders import result_rules as deadlines
from vendorgov.tenders.result_dates import calendar_from, today
from vendorgov.tenders.tables import BidSecurity

SECURITY = D("20000.00")


async def opened_with_deposits(world, n: int = 3) -> tuple[int, list]:
    officer = world.principals["procurement"]
    tender_id = await published(world, bid_security=SECURITY)
    bidders = [await bidder(world) for _ in range(n)]
    for i, b in enumerate(bidders):
        await bid(b, tender_id, f"{800000 + i * 10000}.00")
    await pass_deadline(tender_id)
    await opening.open_tender(officer, tender_id)
    for i, b in enumerate(bidders[:2]):
        await deposits.record(officer, tender_id, b.vendor_id, SECURITY, today(), f"BANK-{i}")
    return tender_id, bidders


async def _due(tender_id: int) -> dict:
    rows = await BidSecurity.select().where(BidSecurity.tender == tender_id)
    return {r["vendor"]: r["refund_due"] for r in rows}


async def test_a_failed_tender_makes_every_deposit_due_and_overdue_is_listed(world, api):
    officer = world.principals["procurement"]
    tender_id, (a, b, c) = await opened_with_deposits(world)
    async with api("procurement") as client:
        response = await client.post(
            f"/api/tenders/{tender_id}/fail", json={"reason": "投诉查实，采购文件存在歧视性条款"}
        )
        assert response.status_code == 200, response.text
    expected = deadlines.refund_due(today(), await calendar_from(today()))
    assert await _due(tender_id) == {a.vendor_id: expected, b.vendor_id: expected}
    # A deposit recorded after the failure falls due the same day.
    entry = await deposits.record(officer, tender_id, c.vendor_id, SECURITY, today(), "BANK-2")
    assert entry["refund_due"] == expected
    page = await deposits.overdue_page(officer, PageRequest(page_size=200))
    assert not [d for d in page.items if d["tender_id"] == tender_id]  # not late yet


async def test_the_due_day_is_the_fifth_working_day_across_national_day(world):
    # Cancelled on Wednesday 2026-09-30. 2026's National Day holiday is 1–7 October, with
    # Saturday 10 October a make-up working day (调休). Working days after 30 September:
    # Thu 8 Oct (1), Fri 9 (2), Sat 10 (3, make-up), Mon 12 (4), Tue 13 (5) → 2026-10-13.
    officer = world.principals["procurement"]
    tender_id, (a, b, c) = await opened_with_deposits(world)
    at = datetime(2026, 9, 30, 16, 0, tzinfo=get_settings().zone)
    await deposits.tender_closed(tender_id, at)
    assert await _due(tender_id) == {
        a.vendor_id: date(2026, 10, 13),
        b.vendor_id: date(2026, 10, 13),
    }
    # Today is past it: both refunds are listed as overdue; a refund takes one off.
    page = await deposits.overdue_page(officer, PageRequest(page_size=200))
    mine = {d["vendor_name"]: d for d in page.items if d["tender_id"] == tender_id}
    assert set(mine) == {a.name, b.name}
    assert mine[a.name]["days_late"] == (today() - date(2026, 10, 13)).days
    await deposits.refund(officer, tender_id, a.vendor_id, today(), "RF-1")
    page = await deposits.overdue_page(officer, PageRequest(page_size=200))
    assert [d["vendor_name"] for d in page.items if d["tender_id"] == tender_id] == [b.name]


async def test_a_cancelled_tender_and_one_failed_at_evaluation(world):
    officer = world.principals["procurement"]
    tender_id, (a, b, c) = await opened_with_deposits(world)
    await publication.cancel(officer, tender_id, "预算调整，采购需求取消")
    expected = deadlines.refund_due(today(), await calendar_from(today()))
    assert set((await _due(tender_id)).values()) == {expected}
    # Failed when the evaluation closes: two bids ruled non-compliant leave one of three.
    tender_id, bidders = await opened_with_deposits(world)
    rows = (await evaluation.results(officer, tender_id))["bids"]
    for row in rows[:2]:
        await opening.review_bid(officer, row["id"], False, "投标文件未按要求盖章")
    closed = await evaluation.close_evaluation(officer, tender_id)
    assert closed["status"] == "failed"
    assert set((await _due(tender_id)).values()) == {expected}
