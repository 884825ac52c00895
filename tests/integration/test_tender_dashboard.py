"""The dashboard tells each role what waits on it in tenders."""

from __future__ import annotations

from tests.conftest import unique
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
