"""The bid-security ledger (投标保证金, §3a): at most 2% of the ceiling (checked when the tender
is written and again at publication), each bidder's deposit recorded from opening on, refunds
due 5 working days after the award notice (the winner's: after signing), overdue ones listed
(paged, and on the officers' dashboard), a refund recorded once (race on PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from tests.conftest import CSRF_RE, http_client, log_in
from tests.integration.test_tender_races import actions, codes, loser
from tests.integration.test_tender_result_notice import awarded_tender
from tests.integration.test_tenders import bid, bidder, pass_deadline, published, tender_input
from vendorgov.contracts import drafting
from vendorgov.contracts import service as contracts
from vendorgov.errors import Conflict, InvalidInput, NotFound
from vendorgov.paging import PageRequest
from vendorgov.settings import get_settings
from vendorgov.tenders import deposits, opening, publication, reading, results
from vendorgov.tenders import result_rules as deadlines
from vendorgov.tenders.result_dates import calendar_from, today
from vendorgov.tenders.tables import BidSecurity, Tender

SECURITY = D("20000.00")  # 2% of the 1,000,000.00 ceiling: the most allowed


async def test_the_deposit_asked_is_at_most_two_percent_of_the_ceiling(world, api):
    officer = world.principals["procurement"]
    with pytest.raises(InvalidInput) as refused:
        await publication.create_tender(officer, tender_input(bid_security=D("20000.01")))
    assert [(e.field, e.rule) for e in refused.value.errors] == [("bid_security", "max_percent")]
    assert "20000.00" in refused.value.errors[0].message
    async with api("procurement") as c:
        body = {
            "reference": "BS-" + str(datetime.now(UTC).timestamp()).replace(".", ""),
            "title": "保洁服务",
            "category": "cleaning",
            "method": "open",
            "evaluation_method": "lowest_price",
            "budget_ceiling": "500000.00",
            "service_start": "2027-01-01",
            "service_end": "2027-12-31",
            "bid_deadline": (datetime.now(UTC) + timedelta(hours=2)).isoformat(),
            "criteria": [{"key": "price", "name": "价格", "weight": "100"}],
            "bid_security": "10000.01",
        }
        response = await c.post("/api/tenders", json=body)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == "bid_security"
        created = await c.post("/api/tenders", json={**body, "bid_security": "10000.00"})
        assert created.status_code == 201, created.text
        tender_id = created.json()["id"]
        assert (await c.get(f"/api/tenders/{tender_id}")).json()["bid_security"] == "10000.00"
        # Checked again at publication (a ceiling lowered since, say).
        await Tender.update({Tender.bid_security: D("10000.01")}).where(Tender.id == tender_id)
        refused_publish = await c.post(f"/api/tenders/{tender_id}/publish")
        assert refused_publish.status_code == 422, refused_publish.text
        assert refused_publish.json()["errors"][0]["rule"] == "max_percent"


async def test_deposits_are_recorded_from_opening_on_once_per_bidder(world):
    officer = world.principals["procurement"]
    tender_id = await published(world, bid_security=SECURITY)
    a, b = await bidder(world), await bidder(world)
    await bid(a, tender_id, "800000.00")
    await bid(b, tender_id, "820000.00")
    with pytest.raises(Conflict) as sealed:  # who bid is sealed until opening
        await deposits.record(officer, tender_id, a.vendor_id, SECURITY, today(), "BANK-1")
    assert "opening" in str(sealed.value)
    await pass_deadline(tender_id)
    await opening.open_tender(officer, tender_id)
    first = await deposits.record(officer, tender_id, a.vendor_id, SECURITY, today(), "BANK-1")
    # Two bids of the three needed: the tender failed at opening, so the deposit is due 5
    # working days after it (§3a).
    assert first["amount"] == SECURITY
    assert first["refund_due"] == deadlines.refund_due(today(), await calendar_from(today()))
    assert await deposits.record(officer, tender_id, a.vendor_id, SECURITY, today(), "BANK-1")
    with pytest.raises(Conflict):
        await deposits.record(officer, tender_id, a.vendor_id, SECURITY, today(), "BANK-2")
    stranger = await bidder(world)
    with pytest.raises(InvalidInput) as not_bidder:
        await deposits.record(officer, tender_id, stranger.vendor_id, SECURITY, today(), "X-1")
    assert not_bidder.value.errors[0].field == "vendor_id"
    with pytest.raises(InvalidInput) as bad:
        await deposits.record(
            officer, tender_id, b.vendor_id, D("-5"), today() + timedelta(days=1), ""
        )
    assert {e.field for e in bad.value.errors} == {"amount", "received_on", "reference"}
    assert len(await actions("tender", tender_id, "record_bid_security")) == 1
    ledger = await deposits.ledger(officer, tender_id)
    assert ledger["asked"] == SECURITY
    assert {x["vendor_name"]: bool(x["deposit"]) for x in ledger["bidders"]} == {
        a.name: True,
        b.name: False,
    }
    with pytest.raises(Conflict):  # a tender asking none
        no_security = await published(world)
        await deposits.record(officer, no_security, a.vendor_id, SECURITY, today(), "B")


async def test_refunds_fall_due_after_the_notice_and_the_winners_after_signing(world, api):
    officer = world.principals["procurement"]
    t = await awarded_tender(world, bid_security=SECURITY)
    winner, second, third = t.bidders
    for n, b in enumerate(t.bidders):
        await deposits.record(officer, t.tender_id, b.vendor_id, SECURITY, today(), f"BANK-{n}")
    assert all(e["refund_due"] is None for e in await _entries(t.tender_id))

    notice = await results.publish(officer, t.tender_id)
    day = notice["published_at"].astimezone(world_zone()).date()
    expected = deadlines.refund_due(day, await calendar_from(day))
    due = {e["vendor"]: e["refund_due"] for e in await _entries(t.tender_id)}
    assert due == {winner.vendor_id: None, second.vendor_id: expected, third.vendor_id: expected}

    contract = await contracts.get_contract(officer, t.contract_id)
    await drafting.sign(officer, contract["versions"][0]["id"])
    signed_day = today()
    due = {e["vendor"]: e["refund_due"] for e in await _entries(t.tender_id)}
    assert due[winner.vendor_id] == deadlines.refund_due(
        signed_day, await calendar_from(signed_day)
    )

    async with api("procurement") as c:
        ledger = (await c.get(f"/api/tenders/{t.tender_id}/bid-security")).json()
        assert {b["deposit"]["refund_due"] for b in ledger["bidders"]} == {
            expected.isoformat(),
            due[winner.vendor_id].isoformat(),
        }
    async with api("vendor") as c:
        assert (await c.get(f"/api/tenders/{t.tender_id}/bid-security")).status_code == 403


async def test_overdue_refunds_are_listed_paged_and_on_the_dashboard(world, api, login):
    officer = world.principals["procurement"]
    t = await awarded_tender(world, bid_security=SECURITY)
    for n, b in enumerate(t.bidders):
        await deposits.record(officer, t.tender_id, b.vendor_id, SECURITY, today(), f"BK-{n}")
    await results.publish(officer, t.tender_id)
    late = today() - timedelta(days=3)
    await BidSecurity.update({BidSecurity.refund_due: late}).where(
        (BidSecurity.tender == t.tender_id) & BidSecurity.refund_due.is_not_null()
    )
    page = await deposits.overdue_page(officer, PageRequest(page_size=200))
    mine = [d for d in page.items if d["tender_id"] == t.tender_id]
    assert sorted(d["vendor_name"] for d in mine) == sorted(b.name for b in t.bidders[1:])
    assert all(d["days_late"] == 3 and d["overdue"] for d in mine)
    whats = [
        r["what"] for r in await reading.reminders(officer) if r["tender"]["id"] == t.tender_id
    ]
    assert f"bid security refund overdue (due {late.isoformat()})" in whats
    async with api("procurement") as c:
        listed = await c.get("/api/bid-security/overdue", params={"page_size": 1})
        assert listed.status_code == 200, listed.text
        assert listed.json()["page_size"] == 1 and listed.json()["total"] >= 2
        assert (await c.get("/api/bid-security/overdue?sort=nope")).status_code == 422
    async with api("vendor") as c:
        assert (await c.get("/api/bid-security/overdue")).status_code == 403
    async with login("procurement") as c:
        shown = await c.get("/tenders/deposits/overdue")
        assert shown.status_code == 200 and t.bidders[1].name in shown.text

    # Refunded: off the list.
    await deposits.refund(officer, t.tender_id, t.bidders[1].vendor_id, today(), "RF-1")
    page = await deposits.overdue_page(officer, PageRequest(page_size=200))
    assert [d["vendor_name"] for d in page.items if d["tender_id"] == t.tender_id] == [
        t.bidders[2].name
    ]


async def test_a_refund_is_recorded_once_with_its_checks(world, app):
    officer = world.principals["procurement"]
    t = await awarded_tender(world, bid_security=SECURITY)
    vendor = t.bidders[1].vendor_id
    received = today() - timedelta(days=2)
    await deposits.record(officer, t.tender_id, vendor, SECURITY, received, "BANK-9")
    with pytest.raises(NotFound):
        await deposits.refund(officer, t.tender_id, t.bidders[2].vendor_id, today(), "RF")
    with pytest.raises(InvalidInput) as early:
        await deposits.refund(officer, t.tender_id, vendor, received - timedelta(days=1), "RF")
    assert early.value.errors[0].field == "refunded_on"
    done = await deposits.refund(officer, t.tender_id, vendor, today(), "RF-1")
    assert done["refunded_on"] == today() and not done["overdue"]
    assert await deposits.refund(officer, t.tender_id, vendor, today(), "RF-1")  # the same
    with pytest.raises(Conflict):
        await deposits.refund(officer, t.tender_id, vendor, today(), "RF-2")
    assert len(await actions("tender", t.tender_id, "refund_bid_security")) == 1

    # Through the page: a refusal keeps what was typed.
    vendor3 = t.bidders[2].vendor_id
    await deposits.record(officer, t.tender_id, vendor3, SECURITY, received, "BANK-10")
    async with http_client(app) as c:
        await log_in(c, "t.procurement")
        page = await c.get(f"/tenders/{t.tender_id}/deposits")
        assert page.status_code == 200 and "Record the refund" in page.text
        token = CSRF_RE.search(page.text).group(1)
        action = f"/tenders/{t.tender_id}/deposits/{vendor3}/refund"
        future = (today() + timedelta(days=3)).isoformat()
        refused = await c.post(
            action, data={"_csrf_token": token, "refunded_on": future, "reference": "RF-77"}
        )
        assert refused.status_code == 422 and "RF-77" in refused.text
        ok = await c.post(
            action,
            data={"_csrf_token": token, "refunded_on": today().isoformat(), "reference": "RF-77"},
        )
        assert ok.status_code == 200 and "Refund recorded" in ok.text


async def test_two_refunds_at_once_one_wins(world, api):
    officer = world.principals["procurement"]
    t = await awarded_tender(world, bid_security=SECURITY)
    vendor = t.bidders[1].vendor_id
    await deposits.record(officer, t.tender_id, vendor, SECURITY, today(), "BANK-R")
    path = f"/api/tenders/{t.tender_id}/bid-security/{vendor}/refund"
    async with api("procurement") as c:
        responses = await asyncio.gather(
            *[
                c.post(path, json={"refunded_on": today().isoformat(), "reference": ref})
                for ref in ("RF-A", "RF-B")
            ]
        )
    assert codes(responses) == [200, 409], [r.text for r in responses]
    assert "refunded already" in loser(responses).json()["detail"]
    assert len(await actions("tender", t.tender_id, "refund_bid_security")) == 1


async def _entries(tender_id: int) -> list[dict]:
    return await BidSecurity.select().where(BidSecurity.tender == tender_id)


def world_zone():
    return get_settings().zone
