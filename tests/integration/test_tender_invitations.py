"""Invited tenders (§3a): the officer invites at least three qualified vendors of the category,
each with a reason; only they see the tender and bid; anyone else gets a 404 on every route."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from tests.conftest import csrf_token
from tests.integration.test_tender_races import as_user
from tests.integration.test_tenders import bid, bidder, tender_input
from vendorgov.audit.tables import AuditEntry
from vendorgov.errors import Conflict, Forbidden, InvalidInput, NotFound
from vendorgov.notifications.tables import Notification
from vendorgov.tenders import alerts as tender_alerts
from vendorgov.tenders import bidding, invitations, publication, reading
from vendorgov.tenders.tables import Invitation, Tender

REASON = "近三年院内同类服务考核优秀"


async def invited_draft(world) -> int:
    return await publication.create_tender(
        world.principals["procurement"], tender_input(method="invited")
    )


async def test_an_invited_tender_needs_three_qualified_invitations_with_reasons(world):
    officer = world.principals["procurement"]
    tender_id = await invited_draft(world)
    a, b, c = [await bidder(world) for _ in range(3)]
    unlicensed = await bidder(world, licence=False)
    other_category = await bidder(world, category="security")
    offered = {v["id"] for v in await invitations.candidates(officer, tender_id)}
    assert {a.vendor_id, b.vendor_id, c.vendor_id} <= offered
    assert unlicensed.vendor_id not in offered and other_category.vendor_id not in offered

    with pytest.raises(InvalidInput) as refused:  # no reason
        await invitations.invite(officer, tender_id, a.vendor_id, "")
    assert refused.value.errors[0].field == "reason"
    for vendor in (unlicensed, other_category):
        with pytest.raises(InvalidInput) as refused:
            await invitations.invite(officer, tender_id, vendor.vendor_id, REASON)
        assert refused.value.errors[0].field == "vendor_id"
    with pytest.raises(Forbidden):
        await invitations.invite(world.principals["admin"], tender_id, a.vendor_id, REASON)

    await invitations.invite(officer, tender_id, a.vendor_id, REASON)
    await invitations.invite(officer, tender_id, a.vendor_id, "再次邀请同一家")  # no change
    await invitations.invite(officer, tender_id, b.vendor_id, REASON)
    with pytest.raises(InvalidInput) as refused:  # two are not enough
        await publication.publish(officer, tender_id)
    assert [(e.field, e.rule) for e in refused.value.errors] == [("invitations", "minimum")]
    await invitations.invite(officer, tender_id, c.vendor_id, REASON)
    await publication.publish(officer, tender_id)
    listed = await invitations.invitations(officer, tender_id)
    assert [(i["vendor"], i["reason"]) for i in listed] == [
        (a.vendor_id, REASON),
        (b.vendor_id, REASON),
        (c.vendor_id, REASON),
    ]
    with pytest.raises(Forbidden):
        await invitations.invitations(a.principal, tender_id)
    late = await bidder(world)
    with pytest.raises(Conflict):  # invitations close at publication
        await invitations.invite(officer, tender_id, late.vendor_id, REASON)
    invites = await AuditEntry.count().where(
        (AuditEntry.entity == "tender")
        & (AuditEntry.entity_id == str(tender_id))
        & (AuditEntry.action == "invite")
    )
    assert invites == 3

    # Only the invited hear of it, at publication and a day before the deadline: a vendor of
    # the category that was not invited is not told that it exists.
    deadline = (await Tender.select(Tender.bid_deadline).where(Tender.id == tender_id).first())[
        "bid_deadline"
    ]
    day = timedelta(hours=24)
    await tender_alerts.deadlines_approaching(deadline - day, deadline - day + timedelta(hours=1))
    heard = {
        v.vendor_id: sorted(
            n["kind"]
            for n in await Notification.select(Notification.kind).where(
                (Notification.user == v.principal.user_id)
                & (Notification.link == f"/tenders/{tender_id}")
            )
        )
        for v in (a, late)
    }
    assert heard == {
        a.vendor_id: ["tender.deadline_approaching", "tender.open_for_bids"],
        late.vendor_id: [],
    }

    # Only the invited see and bid; a vendor of the category that was not invited gets 404s.
    await bid(a, tender_id, "800000.00")
    reference = (await reading.get_tender(officer, tender_id))["reference"]
    listed_to = [(await reading.tender_page(v.principal, q=reference)).items for v in (b, late)]
    assert [[t["id"] for t in items] for items in listed_to] == [[tender_id], []]
    with pytest.raises(NotFound):
        await reading.get_tender(late.principal, tender_id)
    with pytest.raises(NotFound):
        await bid(late, tender_id, "790000.00")
    with pytest.raises(NotFound):
        await bidding.withdraw_bid(late.principal, tender_id)


async def test_every_route_of_an_invited_tender_is_a_404_for_the_uninvited(world, app, login):
    officer = world.principals["procurement"]
    tender_id = await invited_draft(world)
    invited = [await bidder(world) for _ in range(3)]
    for v in invited:
        await invitations.invite(officer, tender_id, v.vendor_id, REASON)
    await publication.publish(officer, tender_id)
    outsider = await bidder(world)
    async with as_user(app, outsider.principal) as c:
        for path in (f"/api/tenders/{tender_id}", f"/api/tenders/{tender_id}/bids"):
            assert (await c.get(path)).status_code == 404, path
        posted = await c.post(f"/api/tenders/{tender_id}/bids", data={"price": "800000.00"})
        assert posted.status_code == 404
        withdrawn = await c.post(f"/api/tenders/{tender_id}/bids/withdraw")
        assert withdrawn.status_code == 404
        listed = (await c.get("/api/tenders")).json()
        assert tender_id not in [t["id"] for t in listed["items"]]
    async with as_user(app, invited[0].principal) as c:
        assert (await c.get(f"/api/tenders/{tender_id}")).status_code == 200
        posted = await c.post(f"/api/tenders/{tender_id}/bids", data={"price": "800000.00"})
        assert posted.status_code == 201, posted.text
    async with login("procurement") as c:
        page = await c.get(f"/tenders/{tender_id}")
        assert "Invited vendors" in page.text and invited[0].name in page.text
        assert REASON in page.text


async def test_the_officer_invites_on_the_tender_page(world, login):
    tender_id = await invited_draft(world)
    vendor = await bidder(world)
    async with login("procurement") as c:
        page = await c.get(f"/tenders/{tender_id}")
        assert f'value="{vendor.vendor_id}"' in page.text
        token = await csrf_token(c, f"/tenders/{tender_id}")
        form = {"vendor_id": str(vendor.vendor_id), "reason": "", "_csrf_token": token}
        refused = await c.post(f"/tenders/{tender_id}/invitations", data=form)
        assert refused.status_code == 422 and "give a written reason" in refused.text
        form["reason"] = REASON
        done = await c.post(f"/tenders/{tender_id}/invitations", data=form)
        assert done.status_code == 200 and REASON in done.text
    assert await Invitation.count().where(Invitation.tender == tender_id) == 1


async def test_two_officers_inviting_one_vendor_at_once_make_one_invitation(world, app):
    tender_id = await invited_draft(world)
    vendor = await bidder(world)
    async with as_user(app, world.principals["procurement"]) as c:
        body = {"vendor_id": vendor.vendor_id, "reason": REASON}
        responses = await asyncio.gather(
            *[c.post(f"/api/tenders/{tender_id}/invitations", json=body) for _ in range(2)]
        )
        assert [r.status_code for r in responses] == [200, 200], [r.text for r in responses]
        unknown = await c.post("/api/tenders/999999/invitations", json=body)
        assert unknown.status_code == 404
        bad = await c.post(f"/api/tenders/{tender_id}/invitations", json={"vendor_id": "x"})
        assert bad.status_code in (400, 422)
    assert await Invitation.count().where(Invitation.tender == tender_id) == 1
    invites = await AuditEntry.count().where(
        (AuditEntry.entity == "tender")
        & (AuditEntry.entity_id == str(tender_id))
        & (AuditEntry.action == "invite")
    )
    assert invites == 1
