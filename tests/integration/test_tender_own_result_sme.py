"""A losing bidder's own result (§3a) shows its evaluated price (the SME deduction applied, for
the price score only) beside its offered price when they differ; a bidder without the
deduction sees its offered price alone. Computed by hand."""

from __future__ import annotations

from decimal import Decimal

from tests.conftest import http_client, log_in
from tests.integration.test_tender_races import as_user
from tests.integration.test_tender_sme import EVIDENCE
from tests.integration.test_tenders import (
    bid,
    bidder,
    declare_and_score,
    pass_deadline,
    published,
    seat_panel,
)
from vendorgov.tenders import evaluation, opening, scoring
from vendorgov.vendors import sme

D = Decimal


async def test_own_result_shows_the_evaluated_price_beside_the_offered(world, app):
    officer = world.principals["procurement"]
    tender_id = await published(world, budget_ceiling=D("1200000.00"), sme_percent=D(10))
    a, b, c = await bidder(world), await bidder(world), await bidder(world)
    await sme.declare_sme(a.principal, a.vendor_id, "small", EVIDENCE)
    await sme.declare_sme(c.principal, c.vendor_id, "micro", EVIDENCE)
    for vendor, price in ((a, "1000000.00"), (b, "950000.00"), (c, "1100000.00")):
        await bid(vendor, tender_id, price)
    await pass_deadline(tender_id)
    await opening.open_tender(officer, tender_id)
    panel = await seat_panel(world, tender_id, 5)
    for e in panel:
        await scoring.declare(e, tender_id, [], "")
    bids = (await evaluation.results(officer, tender_id))["ranked"]
    await declare_and_score(
        tender_id,
        panel,
        {r["id"]: {"technical": ["80"] * 5, "service": ["80"] * 5} for r in bids},
    )
    await evaluation.close_evaluation(officer, tender_id)
    # C (micro, 1,100,000.00): evaluated 1,100,000 × 0.9 = 990,000.00; price score
    # 900,000 / 990,000 × 100 = 90.91; total 27.27 + 56 = 83.27, rank 3 (see test_tender_sme).
    own_c = (await evaluation.results(c.principal, tender_id))["own"]
    assert (own_c["price"], own_c["evaluated_price"]) == (D("1100000.00"), D("990000.00"))
    assert (own_c["rank"], own_c["total"], own_c["sme_size"]) == (3, D("83.27"), "micro")
    # B (no deduction): the evaluated price is the offered one.
    own_b = (await evaluation.results(b.principal, tender_id))["own"]
    assert own_b["price"] == own_b["evaluated_price"] == D("950000.00")
    async with as_user(app, c.principal) as client:
        data = (await client.get(f"/api/tenders/{tender_id}/results")).json()
        assert (data["own"]["price"], data["own"]["evaluated_price"]) == (
            "1100000.00",
            "990000.00",
        )
        assert "ranked" not in data
    async with http_client(app) as client:
        await log_in(client, c.principal.username)
        page = (await client.get(f"/tenders/{tender_id}/results")).text
        assert "1,100,000.00" in page and 'id="own-evaluated"' in page
        assert "990,000.00" in page and "10" in page
    async with http_client(app) as client:
        await log_in(client, b.principal.username)
        page = (await client.get(f"/tenders/{tender_id}/results")).text
        assert "950,000.00" in page and 'id="own-evaluated"' not in page
