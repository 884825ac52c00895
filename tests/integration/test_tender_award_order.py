"""Award in candidate order (§3, Order 87 Art. 68) through the API: the tie rule stated at
publication orders candidates tied on total and price, a tie straddling third place included;
without one, a seeded draw recorded in the audit trail; the next candidate is awarded only
after the ones before it are passed over with a ground and evidence; two officers at once get
one success and one 409 (PostgreSQL: truly concurrent)."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

from tests.integration.test_tender_races import actions, codes, twice
from tests.integration.test_tenders import (
    bid,
    bidder,
    declare_and_score,
    pass_deadline,
    published,
    seat_panel,
)
from vendorgov.audit import service as audit
from vendorgov.contracts.tables import Contract
from vendorgov.tenders import evaluation, opening, ranking_rules, scoring
from vendorgov.tenders.rules import Criterion
from vendorgov.tenders.tables import Tender

D = Decimal
PRICE = "800000.00"


async def scored_tender(world, scores: list[tuple[str, str]], **overrides) -> tuple[int, list]:
    """A comprehensive tender (price 30, technical 40, service 30), one bid per (technical,
    service) pair, all at 800,000.00; the five evaluators give each bid the same scores; the
    evaluation closed. Returns the tender and the bid ids in the order of `scores`."""
    officer = world.principals["procurement"]
    tender_id = await published(world, **overrides)
    ids = [(await bid(await bidder(world), tender_id, PRICE))["bid_id"] for _ in scores]
    await pass_deadline(tender_id)
    await opening.open_tender(officer, tender_id)
    panel = await seat_panel(world, tender_id, 5)
    for e in panel:
        await scoring.declare(e, tender_id, [], "")
    await declare_and_score(
        tender_id,
        panel,
        {
            b: {"technical": [t] * 5, "service": [s] * 5}
            for b, (t, s) in zip(ids, scores, strict=True)
        },
    )
    await evaluation.close_evaluation(officer, tender_id)
    return tender_id, ids


async def test_higher_technical_score_orders_a_tie_straddling_third_place(world, api):
    # Every price 800,000.00 → price score 100, 30 points each. Totals by hand:
    #   A: 30 + 40 × 90/100 + 30 × 80/100 = 30 + 36 + 24 = 90.00 (rank 1)
    #   B: 30 + 32 + 30 × 80.01/100 = 30 + 32 + 24.003 = 86.003 → 86.00, technical 56.003
    #   C: 30 + 40 × 79.99/100 + 24 = 30 + 31.996 + 24 = 85.996 → 86.00, technical 55.996
    #   D: 30 + 32 + 24 = 86.00, technical 56.00
    # B, C, D tie on total (86.00) and price: rank 2 for places 2–4, straddling third place.
    # "Higher technical score first": B (56.003), D (56.00), C (55.996). Candidates A, B, D.
    tender_id, (a, b, c, d) = await scored_tender(
        world,
        [("90", "80"), ("80", "80.01"), ("79.99", "80"), ("80", "80")],
        tie_rule="technical",
    )
    officer = world.principals["procurement"]
    results = await evaluation.results(officer, tender_id)
    assert [(r["id"], r["rank"], r["total"]) for r in results["ranked"]] == [
        (a, 1, D("90.00")),
        (b, 2, D("86.00")),
        (d, 2, D("86.00")),
        (c, 2, D("86.00")),
    ]
    assert [r["id"] for r in results["candidates"]] == [a, b, d]
    assert [r["technical"] for r in results["ranked"]] == [
        D("60.00"),
        D("56.00"),
        D("56.00"),
        D("56.00"),
    ]
    # The rule decided every tie: no draw, no seed.
    row = await Tender.select().where(Tender.id == tender_id).first()
    assert row["tie_rule"] == "technical" and row["tie_seed"] == ""
    assert await actions("tender", tender_id, "tie_draw") == []

    async with api("procurement") as client:
        page = await client.get(f"/api/tenders/{tender_id}")
        assert page.json()["tie_rule"] == "technical"
        # D (candidate 3) cannot be awarded, nor passed over, before A and B.
        response = await client.post(
            f"/api/tenders/{tender_id}/award", json={"bid_id": d, "reason": "报价相同，技术相近"}
        )
        assert response.status_code == 422 and "candidate 3" in response.text
        response = await client.post(
            f"/api/tenders/{tender_id}/award", json={"bid_id": c, "reason": "第四名"}
        )
        assert response.status_code == 422 and "recommended candidate" in response.text
        # A declines, in writing.
        evidence = "第一候选人于2026年1月5日来函书面放弃中标资格（附函编号 FQ-001）"
        body = {"bid_id": a, "ground": "declined", "evidence": evidence}
        response = await client.post(f"/api/tenders/{tender_id}/pass-over", json=body)
        assert response.status_code == 200, response.text
        assert response.json() == {
            "position": 1,
            "bid_id": a,
            "ground": "declined",
            "evidence": evidence,
            "recorded_by": "t.procurement",
        }
        # The same record sent again: the first answer, nothing new written.
        again = await client.post(f"/api/tenders/{tender_id}/pass-over", json=body)
        assert again.status_code == 200 and again.json() == response.json()
        assert len(await actions("tender", tender_id, "pass_over")) == 1
        # A passed over cannot be awarded any more (409), D still waits for B.
        response = await client.post(f"/api/tenders/{tender_id}/award", json={"bid_id": a})
        assert response.status_code == 409
        response = await client.post(f"/api/tenders/{tender_id}/award", json={"bid_id": d})
        assert response.status_code == 422
        response = await client.post(f"/api/tenders/{tender_id}/award", json={"bid_id": b})
        assert response.status_code == 201, response.text
    award = (await actions("tender", tender_id, "award"))[0]["after"]
    assert (award["bid"], award["candidate"], award["passed_over"]) == (b, 2, [[1, a, "declined"]])
    passed = (await actions("tender", tender_id, "pass_over"))[0]["after"]
    assert (passed["candidate"], passed["ground"], passed["evidence"]) == (1, "declined", evidence)
    assert (await audit.verify()).intact


async def test_a_four_way_tie_for_first_is_drawn_with_a_recorded_seed(world):
    """The issue's case: four bids equal on total and price left no candidate. Now the draw,
    made when the evaluation closes, orders them; its seed is in the audit trail and anyone
    recomputes the order from it."""
    tender_id, ids = await scored_tender(world, [("80", "80")] * 4)
    results = await evaluation.results(world.principals["procurement"], tender_id)
    assert {r["rank"] for r in results["ranked"]} == {1}  # the rank is still shared
    row = await Tender.select().where(Tender.id == tender_id).first()
    seed = row["tie_seed"]
    assert len(seed) == 32
    expected = sorted(ids, key=lambda b: ranking_rules.draw_key(seed, b))
    assert [r["id"] for r in results["ranked"]] == expected
    assert [r["id"] for r in results["candidates"]] == expected[:3]
    (draw,) = await actions("tender", tender_id, "tie_draw")
    assert draw["after"]["seed"] == seed
    assert draw["after"]["tied"] == [sorted(ids)]
    assert draw["after"]["order"] == expected
    closed = (await actions("tender", tender_id, "close_evaluation"))[0]["after"]
    assert closed["candidates"] == expected[:3]


async def test_pass_over_refusals_and_permissions(world, api):
    tender_id, (a, b, c) = await scored_tender(world, [("90", "80"), ("85", "80"), ("80", "80")])
    path = f"/api/tenders/{tender_id}/pass-over"
    good = {"bid_id": a, "ground": "failed_to_sign", "evidence": "中标通知书发出后30日内未签订合同"}
    async with api("procurement") as client:
        for body, field in (
            ({**good, "ground": "changed_mind"}, "ground"),
            ({**good, "evidence": "  "}, "evidence"),
            ({**good, "bid_id": b}, "bid_id"),  # out of order
            ({**good, "bid_id": 999_999_999}, "bid_id"),
        ):
            response = await client.post(path, json=body)
            assert response.status_code == 422, (body, response.text)
            assert field in {e["field"] for e in response.json()["errors"]}, response.text
        for junk in ({}, {"bid_id": "x"}, [], {"bid_id": a, "ground": 1, "evidence": None}):
            response = await client.post(path, json=junk)
            assert response.status_code in (400, 422), response.text
        response = await client.post("/api/tenders/999999999/pass-over", json=good)
        assert response.status_code == 404
    for role in ("admin", "finance"):
        async with api(role) as client:
            assert (await client.post(path, json=good)).status_code == 403
    assert await actions("tender", tender_id, "pass_over") == []
    # A tender still in evaluation has nothing to pass over yet: 409.
    other = await published(world)
    async with api("procurement") as client:
        response = await client.post(f"/api/tenders/{other}/pass-over", json=good)
        assert response.status_code in (409, 422)


async def test_the_results_page_asks_to_confirm_and_says_what_happens(world, login):
    tender_id, (a, b, c) = await scored_tender(world, [("90", "80"), ("85", "80"), ("80", "80")])
    names = {
        r["id"]: r["vendor_name"]
        for r in (await evaluation.results(world.principals["procurement"], tender_id))["ranked"]
    }
    async with login("procurement") as client:
        page = (await client.get(f"/tenders/{tender_id}/results")).text
        # 800,000.00 over 12 months: 66,666.66 × 11 and 66,666.74 in the last month.
        assert "candidate 1" in page and names[a] in page
        assert "66,666.66" in page and "66,666.74" in page
        assert f"candidate 2, {names[b]}, becomes the next to award" in page
        token = page.split('name="_csrf_token" value="')[1].split('"')[0]
        # Not confirmed: refused, the page again with the evidence kept.
        data = {
            "_csrf_token": token,
            "bid_id": a,
            "ground": "ineligible",
            "evidence": "资质造假经查实",
        }
        response = await client.post(f"/tenders/{tender_id}/pass-over", data=data)
        assert response.status_code == 422 and "资质造假经查实" in response.text
        response = await client.post(
            f"/tenders/{tender_id}/pass-over", data={**data, "confirm": "yes"}
        )
        assert response.status_code == 200 and "Candidate 1" in response.text
        assert "Candidates passed over" in response.text and "资质造假经查实" in response.text
        assert f'name="bid_id" value="{b}"' in response.text
        response = await client.post(
            f"/tenders/{tender_id}/award",
            data={"_csrf_token": token, "bid_id": b, "confirm": "yes"},
        )
        assert response.status_code == 200 and "/contracts/" in str(response.url)
    contract = await Contract.select().where(Contract.tender_id == tender_id).first()
    assert contract is not None
    row = await Tender.select().where(Tender.id == tender_id).first()
    assert row["awarded_bid"] == b


# --- races (PostgreSQL: separate connections) ----------------------------------------------


async def test_two_awards_of_the_next_candidate_make_one_contract(world, api):
    tender_id, (a, b, c) = await scored_tender(world, [("90", "80"), ("85", "80"), ("80", "80")])
    async with api("procurement") as client:
        response = await client.post(
            f"/api/tenders/{tender_id}/pass-over",
            json={"bid_id": a, "ground": "declined", "evidence": "书面放弃函（2026-01-05）"},
        )
        assert response.status_code == 200
        responses = await twice(client, f"/api/tenders/{tender_id}/award", {"bid_id": b})
    assert codes(responses) == [201, 409], [r.text for r in responses]
    assert await Contract.count().where(Contract.tender_id == tender_id) == 1
    assert len(await actions("tender", tender_id, "award")) == 1


async def test_award_and_pass_over_of_one_candidate_at_once_one_wins(world, api):
    tender_id, (a, b, c) = await scored_tender(world, [("90", "80"), ("85", "80"), ("80", "80")])
    async with api("procurement") as client:
        responses = await asyncio.gather(
            client.post(f"/api/tenders/{tender_id}/award", json={"bid_id": a}),
            client.post(
                f"/api/tenders/{tender_id}/pass-over",
                json={"bid_id": a, "ground": "declined", "evidence": "电话告知放弃，书面函后补"},
            ),
        )
    assert sorted(r.status_code for r in responses) in ([200, 409], [201, 409]), [
        r.text for r in responses
    ]
    awarded = len(await actions("tender", tender_id, "award"))
    passed = len(await actions("tender", tender_id, "pass_over"))
    assert awarded + passed == 1
    assert await Contract.count().where(Contract.tender_id == tender_id) == awarded


async def test_two_different_pass_overs_at_once_record_one(world, api):
    tender_id, (a, b, c) = await scored_tender(world, [("90", "80"), ("85", "80"), ("80", "80")])
    async with api("procurement") as client:
        responses = await asyncio.gather(
            *[
                client.post(
                    f"/api/tenders/{tender_id}/pass-over",
                    json={"bid_id": a, "ground": ground, "evidence": evidence},
                )
                for ground, evidence in (
                    ("declined", "书面放弃函（2026-01-05）"),
                    ("ineligible", "经查实提供虚假材料"),
                )
            ]
        )
    assert codes(responses) == [200, 409], [r.text for r in responses]
    (record,) = await actions("tender", tender_id, "pass_over")
    winner = next(r for r in responses if r.status_code == 200).json()
    assert record["after"]["ground"] == winner["ground"]
    assert json.dumps(record["after"], ensure_ascii=False).count("经查实") <= 1


async def test_lowest_price_criteria_keep_working(world):
    """The lowest-price method: candidates by price, a tie on price drawn."""
    officer = world.principals["procurement"]
    tender_id = await published(
        world, evaluation_method="lowest_price", criteria=[Criterion("price", "价格", D(100))]
    )
    ids = [
        (await bid(await bidder(world), tender_id, p))["bid_id"]
        for p in ("500000.00", "500000.00", "520000.00")
    ]
    await pass_deadline(tender_id)
    await opening.open_tender(officer, tender_id)
    panel = await seat_panel(world, tender_id, 5)
    for e in panel:
        await scoring.declare(e, tender_id, [], "")
        await scoring.save_scores(e, tender_id, [], submit=True)
    await evaluation.close_evaluation(officer, tender_id)
    seed = (await Tender.select(Tender.tie_seed).where(Tender.id == tender_id).first())["tie_seed"]
    first, second = sorted(ids[:2], key=lambda b: ranking_rules.draw_key(seed, b))
    results = await evaluation.results(officer, tender_id)
    assert [r["id"] for r in results["candidates"]] == [first, second, ids[2]]
