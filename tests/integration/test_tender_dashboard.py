"""The dashboard tells each role what waits on it: tenders, notices."""

from __future__ import annotations

from tests.conftest import unique
from tests.integration.test_inspections_notices import cleaning_contract
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


async def test_a_vendor_sees_an_issued_notice_waiting_for_its_acknowledgement(api, login, world):
    contract_id = await cleaning_contract(world, world.vendor_a)
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
    async with login("vendor") as vendor:
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
