"""The dashboard tells each role what waits on it: tenders, notices."""

from __future__ import annotations

from tests.conftest import unique
from tests.integration.test_inspections_notices import cleaning_contract
from tests.integration.test_payment_disputes import session, vendor_user
from tests.integration.test_tender_documents import _tender_body


async def test_a_published_tender_shows_on_the_dashboard_of_vendors_of_its_category_only(
    api, login
):
    reference = unique("ZB")
    async with api("procurement") as officer:
        created = await officer.post("/api/tenders", json=_tender_body(reference))
        tender_id = created.json()["id"]
        async with login("vendor") as vendor:
            assert reference not in (await vendor.get("/")).text  # a draft is nobody's business
        assert (await officer.post(f"/api/tenders/{tender_id}/publish")).status_code == 200
    async with login("vendor") as vendor:  # cleaning
        home = (await vendor.get("/")).text
        assert reference in home and "open for bids" in home
    async with login("vendor_b") as other:  # security
        assert reference not in (await other.get("/")).text
    async with api("vendor") as vendor:
        bid = await vendor.post(f"/api/tenders/{tender_id}/bids", data={"price": "1000000.00"})
        assert bid.status_code == 201, bid.text
    async with login("vendor") as vendor:
        assert reference not in (await vendor.get("/")).text  # its bid is in
    async with login("supervisor") as supervisor:
        assert reference not in (await supervisor.get("/")).text


async def test_a_vendor_sees_an_issued_notice_waiting_for_its_acknowledgement(
    app, api, login, world
):
    # A vendor of its own: the dashboard shows the first few of a vendor's notices.
    vendor_id, vendor_user_, _token = await vendor_user(world)
    contract_id = await cleaning_contract(world, vendor_id)
    async with api("supervisor") as supervisor:
        finding = await supervisor.post(
            "/api/findings",
            json={
                "contract_id": contract_id,
                "source": "inspection",
                "severity": "major",
                "description": "病区走廊地面湿滑未设警示牌",
            },
        )
        issued = await supervisor.post("/api/notices", json={"finding_ids": [finding.json()["id"]]})
        assert issued.status_code == 201, issued.text
        number = (await supervisor.get(f"/api/notices/{issued.json()['id']}")).json()["number"]
    async with session(app, vendor_user_) as vendor:
        home = (await vendor.get("/")).text
    assert number in home and "acknowledge receipt" in home
    async with login("vendor_b") as other:
        assert number not in (await other.get("/")).text


async def test_an_id_too_large_for_the_database_is_not_found(api, login):
    huge = 10**20
    async with api("procurement") as officer:
        response = await officer.get(f"/api/tenders/{huge}")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    async with login("procurement") as officer:
        assert (await officer.get(f"/tenders/{huge}")).status_code == 404
        assert (await officer.get(f"/contracts/{huge}")).status_code == 404


async def test_officers_and_evaluators_are_reminded_of_their_next_step(world, api):
    from datetime import UTC, datetime

    from vendorgov.tenders import opening, reading
    from vendorgov.tenders.tables import Tender

    officer = world.principals["procurement"]
    async with api("procurement") as c:
        tender_id = (await c.post("/api/tenders", json=_tender_body(unique("ZB")))).json()["id"]
        await c.post(f"/api/tenders/{tender_id}/publish")
    await Tender.update({Tender.bid_deadline: datetime.now(UTC)}).where(Tender.id == tender_id)

    def whats(items):
        return {i["what"] for i in items if i["tender"]["id"] == tender_id}

    assert whats(await reading.reminders(officer)) == {"deadline passed: open the bids"}
    await opening.open_tender(officer, tender_id)  # no bids: fails, nothing waits any more
    assert whats(await reading.reminders(officer)) == set()
    assert whats(await reading.reminders(world.principals["evaluator"])) == set()


async def test_the_panel_is_reminded_to_declare_then_score_and_the_officer_to_close(world):
    from tests.integration.test_tenders import (
        bid,
        bidder,
        declare_and_score,
        pass_deadline,
        published,
        seat_panel,
    )
    from vendorgov.tenders import opening, reading, scoring

    officer = world.principals["procurement"]
    tender_id = await published(world)
    receipts = [
        await bid(await bidder(world), tender_id, p)
        for p in ("800000.00", "810000.00", "820000.00")
    ]
    await pass_deadline(tender_id)
    await opening.open_tender(officer, tender_id)
    panel = await seat_panel(world, tender_id, 5)

    async def whats(who):
        return {i["what"] for i in await reading.reminders(who) if i["tender"]["id"] == tender_id}

    assert await whats(panel[0]) == {"declare conflicts of interest"}
    for p in panel:
        await scoring.declare(p, tender_id, [], "")
    assert await whats(panel[0]) == {"score the bids"}
    assert await whats(officer) == set()
    scores = {r["bid_id"]: {"technical": ["80"] * 5, "service": ["70"] * 5} for r in receipts}
    await declare_and_score(tender_id, panel, scores)
    assert await whats(panel[0]) == set()
    assert await whats(officer) == {"the panel has submitted: close the evaluation"}
