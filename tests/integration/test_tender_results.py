"""Each losing bidder sees its own total and rank, or why its bid was not ranked (§3a), and
nothing of the other bids."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from tests.conftest import http_client, log_in
from tests.integration.test_tender_races import as_user
from tests.integration.test_tenders import bid, bidder, pass_deadline, published, seat_panel
from vendorgov.errors import Conflict, NotFound
from vendorgov.tenders import awarding, evaluation, opening, scoring
from vendorgov.tenders.rules import Criterion


async def test_losing_bidders_read_their_own_rank_or_reason(world, app):
    officer = world.principals["procurement"]
    tender_id = await published(
        world, evaluation_method="lowest_price", criteria=[Criterion("price", "价格", D(100))]
    )
    a, b, c, over = [await bidder(world) for _ in range(4)]
    stranger = await bidder(world)
    receipts = {}
    for who, price in ((a, "800000.00"), (b, "850000.00"), (c, "900000.00"), (over, "1200000.00")):
        receipts[who.name] = await bid(who, tender_id, price)
    await pass_deadline(tender_id)
    await opening.open_tender(officer, tender_id)
    with pytest.raises(Conflict):  # not before the evaluation closes
        await evaluation.results(b.principal, tender_id)
    panel = await seat_panel(world, tender_id, 5)
    for e in panel:
        await scoring.declare(e, tender_id, [], "")
        await scoring.save_scores(e, tender_id, [], submit=True)
    await evaluation.close_evaluation(officer, tender_id)
    await awarding.award(officer, tender_id, receipts[a.name]["bid_id"])

    # b: 850,000 ranks 2nd of 3 valid bids; price score 800000/850000 × 100 = 94.12.
    second = await evaluation.results(b.principal, tender_id)
    assert (second["own"]["rank"], second["ranked_count"]) == (2, 3)
    assert second["own"]["price_score"] == D("94.12") and second["own"]["candidate"] == 2
    assert not second["own"]["won"] and "ranked" not in second and "bids" not in second
    assert a.name not in repr(second) and "800000" not in repr(second)
    # The bid over the ceiling: its reason, no rank.
    invalid = (await evaluation.results(over.principal, tender_id))["own"]
    assert invalid["rank"] is None
    assert invalid["invalid_reasons"] == [
        "the price ¥1,200,000.00 exceeds the budget ceiling ¥1,000,000.00"
    ]
    assert (await evaluation.results(a.principal, tender_id))["own"]["won"]
    with pytest.raises(NotFound):  # a vendor that did not bid
        await evaluation.results(stranger.principal, tender_id)

    async with as_user(app, c.principal) as client:
        api = await client.get(f"/api/tenders/{tender_id}/results")
        assert api.status_code == 200 and api.json()["own"]["rank"] == 3
    async with http_client(app) as client:
        await log_in(client, c.principal.username)
        page = await client.get(f"/tenders/{tender_id}/results")
        assert page.status_code == 200, page.text
        assert "3 of 3 ranked bids" in page.text and "candidate 3" in page.text
        assert a.name not in page.text and b.name not in page.text
        assert "800,000.00" not in page.text and "900,000.00" in page.text
    async with http_client(app) as client:
        await log_in(client, over.principal.username)
        page = await client.get(f"/tenders/{tender_id}/results")
        assert "exceeds the budget ceiling" in page.text
