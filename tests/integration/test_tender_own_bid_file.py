"""A vendor downloads its own proposal files by the bid's opaque reference (never a database
id), from opening on (until then the bid is sealed, its vendor's too); another vendor's
reference is a 404, as is a reference for staff; the receipt page links the files."""

from __future__ import annotations

import pytest

from tests.conftest import http_client, log_in
from tests.integration.test_tender_races import as_user
from tests.integration.test_tenders import bid, bidder, pass_deadline, proposal, published
from vendorgov.errors import Forbidden, NotFound
from vendorgov.tenders import bidding, opening


async def test_a_vendor_downloads_its_own_proposal_by_reference(world, app, api):
    officer = world.principals["procurement"]
    tender_id = await published(world, qualification_types=[])
    a, b, c = await bidder(world), await bidder(world), await bidder(world)
    mine = await bid(a, tender_id, "800000.00", [proposal("OWN-A-1"), proposal("OWN-A-2")])
    theirs = await bid(b, tender_id, "810000.00", [proposal("OTHER-B")])
    await bid(c, tender_id, "820000.00")
    ref, other_ref = mine["ref"], theirs["ref"]
    assert not ref.isdigit() and len(ref) == 24
    # Sealed until opening, for its own vendor too.
    with pytest.raises(Forbidden):
        await bidding.own_bid_file(a.principal, ref, 0)
    async with as_user(app, a.principal) as client:
        assert (await client.get(f"/api/bids/{ref}/receipt/files/0")).status_code == 403
        assert (await client.get(f"/api/bids/{other_ref}/receipt/files/0")).status_code == 404
    await pass_deadline(tender_id)
    await opening.open_tender(officer, tender_id)
    name, data = await bidding.own_bid_file(a.principal, ref, 1)
    assert name == "技术方案.pdf" and b"OWN-A-2" in data
    with pytest.raises(NotFound):  # another vendor's bid: as if it did not exist
        await bidding.own_bid_file(a.principal, other_ref, 0)
    with pytest.raises(NotFound):
        await bidding.own_bid_file(a.principal, ref, 2)  # no third file
    with pytest.raises(NotFound):
        await bidding.own_bid_file(officer, ref, 0)
    async with as_user(app, a.principal) as client:
        response = await client.get(f"/api/bids/{ref}/receipt/files/0")
        assert response.status_code == 200 and b"OWN-A-1" in response.content
        assert (await client.get(f"/api/bids/{other_ref}/receipt/files/0")).status_code == 404
        assert (await client.get("/api/bids/nope/receipt/files/0")).status_code == 404
        receipt = (await client.get(f"/api/bids/{ref}/receipt")).json()
        assert [f["position"] for f in receipt["files"]] == [0, 1]
    async with api("procurement") as client:
        assert (await client.get(f"/api/bids/{ref}/receipt/files/0")).status_code == 403
    async with http_client(app) as client:
        await log_in(client, a.principal.username)
        page = await client.get(f"/tenders/bids/{ref}/receipt")
        assert page.status_code == 200
        assert f"/tenders/bids/{ref}/receipt/files/1" in page.text
        download = await client.get(f"/tenders/bids/{ref}/receipt/files/1")
        assert download.status_code == 200 and b"OWN-A-2" in download.content
        assert (await client.get(f"/tenders/bids/{other_ref}/receipt/files/0")).status_code == 404
