"""Past performance (§3a) and the methods' own rules: a criterion filled from the hospital's
records (each bidder's mean monthly score over its last 12 approved months, from the payments
service; no history: the score the tender states) that evaluators do not score; competitive
consultation going on with 2 valid bids and weighing price 10–30%; competitive negotiation by
the lowest compliant price. Computed by hand."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from tests.integration.test_tender_races import as_user
from tests.integration.test_tenders import (
    bid,
    bidder,
    declare_and_score,
    pass_deadline,
    published,
    seat_panel,
    tender_input,
)
from vendorgov.contracts import drafting as contract_drafting
from vendorgov.errors import InvalidInput
from vendorgov.payments.performance import past_performance
from vendorgov.payments.tables import PaymentRun, Statement
from vendorgov.tenders import evaluation, opening, publication, reading, scoring
from vendorgov.tenders.rules import Criterion
from vendorgov.tenders.scoring import ScoreInput
from vendorgov.tenders.tables import Bid

D = Decimal
CRITERIA = [
    Criterion("price", "价格", D(30)),
    Criterion("plan", "服务方案", D(50)),
    Criterion("history", "履约评价", D(20), "past_performance", D(60)),
]


async def approved_months(
    world, vendor_id: int, scores: dict[str, list[str]], revision: int | None = None
) -> None:
    """Approved runs with the vendor's statements: month → the scores of its contracts that
    month (one contract each). A revision number no other test uses unless given ((month,
    revision) is unique)."""
    contract_ids = []
    for i in range(max(len(v) for v in scores.values())):
        contract_id, _ = await contract_drafting.create_contract(
            world.principals["procurement"],
            contract_drafting.ContractInput(
                number=f"HT-PP-{random.randrange(10**9)}-{i}",
                title="保洁服务合同",
                vendor_id=vendor_id,
                category="cleaning",
                start_date=date(2003, 1, 1),
                end_date=date(2004, 12, 31),
                monthly_fee=D("50000.00"),
            ),
        )
        contract_ids.append(contract_id)
    for month, values in scores.items():
        run = PaymentRun(
            month=month,
            revision=revision or random.randrange(10**6, 10**9),
            status="approved",
            computed_by="t.finance",
            computed_at=datetime.now(UTC),
            approved_by="t.finance2",
            approved_at=datetime.now(UTC),
        )
        await run.save()
        for contract_id, value in zip(contract_ids, values, strict=False):
            await Statement(
                run=run.id,
                contract=contract_id,
                vendor_id=vendor_id,
                components="{}",
                weights="{}",
                score=D(value),
                grade="A",
                pay_percent=D(100),
                base=D("50000.00"),
                deductions=D(0),
                net=D("50000.00"),
                lines="[]",
            ).save()


async def test_past_performance_is_read_from_the_approved_months_not_scored(world, app):
    officer = world.principals["procurement"]
    x, y, z = await bidder(world), await bidder(world), await bidder(world)
    # X: 14 months; only the last 12 count (2003-03 … 2004-02). 2003-06 had two contracts
    # (80 and 100: the month scores 90); 2004-02 scores 96.50.
    months = [f"2003-{m:02d}" for m in range(1, 13)] + ["2004-01", "2004-02"]
    history = {m: ["50"] for m in months[:2]}
    history.update({m: ["90"] for m in months[2:]})
    history["2003-06"] = ["80", "100"]
    history["2004-02"] = ["96.50"]
    base = random.randrange(10**6, 10**8)
    # 2004-02 was first approved at 40, then recomputed and approved again at 96.50: only the
    # latest approved revision of a month counts.
    await approved_months(world, x.vendor_id, {"2004-02": ["40"]}, revision=base)
    await approved_months(world, x.vendor_id, history, revision=base + 1)
    # Y: three months; Z: none.
    await approved_months(world, y.vendor_id, {"2004-01": ["80"], "2004-02": ["85"]})
    await approved_months(world, y.vendor_id, {"2004-03": ["91"]})
    # By hand: X (11 × 90 + 96.50) / 12 = 1086.5 / 12 = 90.5416… → 90.54
    #          Y (80 + 85 + 91) / 3 = 256 / 3 = 85.333… → 85.33
    found = await past_performance([x.vendor_id, y.vendor_id, z.vendor_id], "2026-12")
    assert (found[x.vendor_id].score, found[x.vendor_id].months) == (D("90.54"), 12)
    assert (found[y.vendor_id].score, found[y.vendor_id].months) == (D("85.33"), 3)
    assert (found[z.vendor_id].score, found[z.vendor_id].months) == (None, 0)
    # Up to 2004-01 only: Y has 80 alone.
    assert (await past_performance([y.vendor_id], "2004-01"))[y.vendor_id].score == D("80.00")

    tender_id = await published(world, criteria=list(CRITERIA))
    api_view = (await reading.get_tender(officer, tender_id))["criteria"]
    assert api_view[2].is_past_performance and api_view[2].no_history_score == D(60)
    ids = {
        k: (await bid(v, tender_id, "800000.00"))["bid_id"]
        for k, v in zip("xyz", (x, y, z), strict=False)
    }
    await pass_deadline(tender_id)
    await opening.open_tender(officer, tender_id)
    # Kept on the bids at opening.
    rows = {r["id"]: r for r in await Bid.select().where(Bid.tender == tender_id)}
    assert rows[ids["x"]]["past_months"] == 12 and rows[ids["z"]]["past_score"] is None

    panel = await seat_panel(world, tender_id, 5)
    for e in panel:
        await scoring.declare(e, tender_id, [], "")
    sheet = await scoring.scoring_sheet(panel[0], tender_id)
    assert [c.key for c in sheet["criteria"]] == ["plan"]  # not history, not price
    assert [c.key for c in sheet["past_criteria"]] == ["history"]
    # An evaluator cannot score it.
    with pytest.raises(InvalidInput) as refused:
        await scoring.save_scores(
            panel[0], tender_id, [ScoreInput(ids["z"], "history", D(100))], False
        )
    assert refused.value.errors[0].field == "scores[0].criterion"
    # The scoring sheet shows it read-only.
    async with as_user(app, panel[0]) as client:
        api_sheet = (await client.get(f"/api/tenders/{tender_id}/scoring")).json()
        past = {b["id"]: b["past_score"] for b in api_sheet["bids"]}
        assert past == {ids["x"]: "90.54", ids["y"]: "85.33", ids["z"]: None}
    await declare_and_score(tender_id, panel, {b: {"plan": ["80"] * 5} for b in ids.values()})
    await evaluation.close_evaluation(officer, tender_id)
    results = await evaluation.results(officer, tender_id)
    by = {k: next(r for r in results["ranked"] if r["id"] == v) for k, v in ids.items()}
    # Totals: price 30 each (equal prices); plan 50 × 80 / 100 = 40; history 20 × score / 100:
    #   X 18.108 → 30 + 40 + 18.108 = 88.108 → 88.11
    #   Y 17.066 → 87.066 → 87.07
    #   Z (no history, the tender's 60) 12 → 82.00
    assert {k: r["means"]["history"] for k, r in by.items()} == {
        "x": D("90.54"),
        "y": D("85.33"),
        "z": D("60.00"),
    }
    assert {k: (r["total"], r["rank"]) for k, r in by.items()} == {
        "x": (D("88.11"), 1),
        "y": (D("87.07"), 2),
        "z": (D("82.00"), 3),
    }


async def test_a_past_performance_criterion_needs_its_no_history_score(world):
    officer = world.principals["procurement"]
    bad = [*CRITERIA[:2], Criterion("history", "履约评价", D(20), "past_performance", None)]
    with pytest.raises(InvalidInput) as refused:
        await publication.create_tender(officer, tender_input(criteria=bad))
    assert refused.value.errors[0].field == "criteria[2].no_history_score"


# --- competitive consultation and negotiation ----------------------------------------------


async def test_consultation_goes_on_with_two_valid_bids_an_open_tender_does_not(world):
    officer = world.principals["procurement"]
    consultation = await published(world, method="consultation")
    open_tender = await published(world)
    for tender_id in (consultation, open_tender):
        for price in ("800000.00", "820000.00"):
            await bid(await bidder(world), tender_id, price)
        await pass_deadline(tender_id)
    assert (await opening.open_tender(officer, consultation))["status"] == "opened"
    failed = await opening.open_tender(officer, open_tender)
    assert failed["status"] == "failed" and "at least 3" in failed["closed_reason"]
    # A panel of 3 scores the two; the evaluation closes with 2 (§3a).
    panel = await seat_panel(world, consultation, 3)
    for e in panel:
        await scoring.declare(e, consultation, [], "")
    bids = [b["id"] for b in (await evaluation.results(officer, consultation))["ranked"]]
    await declare_and_score(
        consultation,
        panel,
        {b: {"technical": ["80"] * 3, "service": ["80"] * 3} for b in bids},
    )
    closed = await evaluation.close_evaluation(officer, consultation)
    assert closed["status"] == "evaluated" and len(closed["candidates"]) == 2


@pytest.mark.parametrize(("price_weight", "ok"), [("10", True), ("30", True), ("40", False)])
async def test_consultation_price_weight_is_10_to_30(world, price_weight, ok):
    rest = D(100) - D(price_weight)
    criteria = [Criterion("price", "价格", D(price_weight)), Criterion("plan", "方案", rest)]
    data = tender_input(method="consultation", criteria=criteria)
    officer = world.principals["procurement"]
    if ok:
        assert await publication.create_tender(officer, data)
    else:
        with pytest.raises(InvalidInput) as refused:
            await publication.create_tender(officer, data)
        assert [(e.field, e.rule) for e in refused.value.errors] == [("criteria", "price_weight")]


async def test_negotiation_ranks_by_the_lowest_compliant_price(world):
    officer = world.principals["procurement"]
    with pytest.raises(InvalidInput) as refused:
        await publication.create_tender(
            officer, tender_input(method="negotiation", evaluation_method="comprehensive")
        )
    assert refused.value.errors[0].rule == "negotiation_lowest_price"
    tender_id = await published(
        world,
        method="negotiation",
        evaluation_method="lowest_price",
        criteria=[Criterion("price", "价格", D(100))],
    )
    ids = [
        (await bid(await bidder(world), tender_id, p))["bid_id"]
        for p in ("610000.00", "590000.00", "600000.00", "620000.00")
    ]
    await pass_deadline(tender_id)
    await opening.open_tender(officer, tender_id)
    # The cheapest is ruled non-compliant: the lowest compliant price ranks first.
    await opening.review_bid(officer, ids[1], False, "未按谈判文件要求提供人员配置方案")
    panel = await seat_panel(world, tender_id, 3)
    for e in panel:
        await scoring.declare(e, tender_id, [], "")
        await scoring.save_scores(e, tender_id, [], submit=True)
    closed = await evaluation.close_evaluation(officer, tender_id)
    assert closed["status"] == "evaluated"
    assert closed["candidates"] == [ids[2], ids[0], ids[3]]  # 600,000, 610,000, 620,000
    results = await evaluation.results(officer, tender_id)
    assert [r["price"] for r in results["candidates"]] == [
        D("600000.00"),
        D("610000.00"),
        D("620000.00"),
    ]
