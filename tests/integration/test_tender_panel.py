"""The panel's make-up (§3): the experts' pools per category, the random draw reproduced from its
stored seed and recorded in the audit trail, replacements for experts who declared a conflict,
purchaser representatives within a third, the minimums by method and budget ceiling, and the
same draw or pool addition sent twice at once (real concurrent requests)."""

from __future__ import annotations

import asyncio
import io
import json
import re
from decimal import Decimal as D

import pytest
from pypdf import PdfReader

from tests.conftest import csrf_token
from tests.integration.test_tender_races import actions, as_user, codes, twice
from tests.integration.test_tenders import (
    bid,
    bidder,
    declare_and_score,
    evaluators,
    member_id,
    pass_deadline,
    pool_experts,
    published,
    seat_panel,
)
from vendorgov.accounts import service as accounts
from vendorgov.errors import Conflict, Forbidden, InvalidInput
from vendorgov.tenders import evaluation, opening, panel, panel_rules, scoring
from vendorgov.tenders.tables import ExpertPoolEntry, PanelDraw, PanelMember


async def opened(world) -> tuple[int, list, list]:
    tender_id = await published(world)
    bidders = [await bidder(world) for _ in range(3)]
    receipts = [
        await bid(b, tender_id, p)
        for b, p in zip(bidders, ("800000.00", "810000.00", "820000.00"), strict=True)
    ]
    await pass_deadline(tender_id)
    await opening.open_tender(world.principals["procurement"], tender_id)
    return tender_id, bidders, receipts


# --- the pools ---------------------------------------------------------------------------------


async def test_pool_is_kept_per_category_by_officers(world, api):
    officer = world.principals["procurement"]
    (expert,) = await evaluators(world, 1)
    async with api("procurement") as c:
        for category in ("laundry", "elevator"):  # one account in two pools
            body = {"category": category, "evaluator_id": expert.user_id}
            response = await c.post("/api/expert-pool", json=body)
            assert response.status_code == 200 and response.json() == {"changed": True}
        again = await c.post(
            "/api/expert-pool", json={"category": "laundry", "evaluator_id": expert.user_id}
        )
        assert again.json() == {"changed": False}
        listed = (await c.get("/api/expert-pool", params={"category": "laundry"})).json()
        mine = [e for e in listed if e["evaluator"] == expert.user_id]
        assert mine[0]["display_name"] == expert.display_name and mine[0]["active"]
        assert mine[0]["added_by"] == officer.username
        # Junk is a 422 naming the field and the rule, never a 500.
        junk = await c.post("/api/expert-pool", json={"category": "x", "evaluator_id": 1})
        assert junk.status_code == 422 and junk.json()["errors"][0]["field"] == "category"
        vendor_user = world.principals["vendor"].user_id
        junk = await c.post(
            "/api/expert-pool", json={"category": "laundry", "evaluator_id": vendor_user}
        )
        assert junk.status_code == 422 and junk.json()["errors"][0]["field"] == "evaluator_id"
        assert (await c.get("/api/expert-pool", params={"category": "x"})).status_code == 422
        removed = await c.post(
            "/api/expert-pool/remove", json={"category": "elevator", "evaluator_id": expert.user_id}
        )
        assert removed.json() == {"changed": True}
    elevator = await panel.pool(officer, "elevator")
    assert not next(e for e in elevator if e["evaluator"] == expert.user_id)["active"]
    assert len(await actions("expert_pool", "laundry", "add_expert")) >= 1
    # Administrators read the pools; only procurement officers change them; vendors neither.
    async with api("admin") as c:
        assert (await c.get("/api/expert-pool", params={"category": "laundry"})).status_code == 200
        body = {"category": "laundry", "evaluator_id": expert.user_id}
        assert (await c.post("/api/expert-pool", json=body)).status_code == 403
    async with api("vendor") as c:
        assert (await c.get("/api/expert-pool", params={"category": "laundry"})).status_code == 403


# --- the draw ----------------------------------------------------------------------------------


async def test_draw_is_reproduced_from_its_seed_and_leaves_out_the_panel(world):
    officer = world.principals["procurement"]
    tender_id, bidders, _ = await opened(world)
    # A purchaser representative who is also in the pool is not drawn again.
    (representative,) = await pool_experts(world, tender_id, 1)
    await scoring.assign_panel(officer, tender_id, [representative.user_id])
    await pool_experts(world, tender_id, 4)
    result = await panel.draw_experts(officer, tender_id, 4)
    assert len(result["drawn"]) == 4 and representative.user_id not in result["drawn"]

    (entry,) = await actions("tender", tender_id, "draw_experts")
    after = entry["after"]
    assert after["seed"] == result["seed"] and len(after["seed"]) == 32
    assert after["excluded"] == [{"account": representative.user_id, "why": "on_panel"}]
    # Anyone can redo the draw from the audit entry: same pool, same seed, same experts.
    left_out = [e["account"] for e in after["excluded"]]
    assert panel_rules.draw(after["pool"], after["seed"], 4, left_out) == after["drawn"]
    assert after["drawn"] == result["drawn"]
    stored = await PanelDraw.select().where(PanelDraw.tender == tender_id).first()
    assert json.loads(stored["drawn"]) == result["drawn"] and stored["replaces"] is None

    members = await PanelMember.select().where(PanelMember.tender == tender_id)
    roles = {m["evaluator"]: m["role"] for m in members}
    assert roles[representative.user_id] == "purchaser_rep"
    assert all(roles[i] == "expert" for i in result["drawn"])
    with pytest.raises(Conflict):  # drawn once
        await panel.draw_experts(officer, tender_id, 2)

    # An expert declares a conflict with a bidder: scoring waits, a replacement is drawn
    # leaving out the whole panel, and why is recorded.
    leaving = await accounts.principal_for_user(result["drawn"][0])
    await scoring.declare(leaving, tender_id, [bidders[0].vendor_id], "曾在该公司任职")
    await scoring.declare(representative, tender_id, [], "")
    with pytest.raises(Conflict) as refused:
        await scoring.scoring_sheet(representative, tender_id)
    assert "at least 5 members (it has 4)" in refused.value.message
    with pytest.raises(Conflict):  # only a conflicted expert is replaced
        await panel.draw_replacement(officer, tender_id, await member_id(tender_id, representative))
    await pool_experts(world, tender_id, 1)  # someone left to draw, whatever else the pool has
    replacement = await panel.draw_replacement(
        officer, tender_id, await member_id(tender_id, leaving)
    )
    (new,) = replacement["drawn"]
    assert new not in result["drawn"] and new != representative.user_id
    (entry,) = await actions("tender", tender_id, "draw_replacement")
    assert entry["after"]["replaces"] == leaving.username
    assert "曾在该公司任职" in entry["after"]["reason"]
    assert {e["account"] for e in entry["after"]["excluded"]} == {
        representative.user_id,
        *result["drawn"],
    }
    with pytest.raises(Conflict):  # replaced once
        await panel.draw_replacement(officer, tender_id, await member_id(tender_id, leaving))
    draws = await panel.draws(officer, tender_id)
    assert [d["replaces_name"] for d in draws] == ["", leaving.display_name]
    assert (await scoring.scoring_sheet(representative, tender_id))["bids"]


async def test_minimums_by_method_and_budget_and_the_share_of_representatives(world):
    officer = world.principals["procurement"]
    large = await published(world, budget_ceiling=D("10000000.00"))
    await pool_experts(world, large, 7)
    with pytest.raises(InvalidInput) as refused:
        await panel.draw_experts(officer, large, 5)
    assert [e.rule for e in refused.value.errors] == ["panel_size"]
    assert "at least 7 members (it has 5)" in refused.value.errors[0].message
    assert len((await panel.draw_experts(officer, large, 7))["drawn"]) == 7
    # Three representatives beside seven experts would be 7 of 10 (even) ...
    reps = await evaluators(world, 4)
    with pytest.raises(InvalidInput) as refused:
        await scoring.assign_panel(officer, large, [r.user_id for r in reps[:3]])
    assert [e.rule for e in refused.value.errors] == ["panel_odd"]
    # ... four would be 7 of 11, under two thirds.
    with pytest.raises(InvalidInput) as refused:
        await scoring.assign_panel(officer, large, [r.user_id for r in reps])
    assert [e.rule for e in refused.value.errors] == ["panel_experts"]
    await scoring.assign_panel(officer, large, [r.user_id for r in reps[:2]])  # 7 of 9
    assert await PanelMember.count().where(PanelMember.tender == large) == 9

    consultation = await published(world, method="consultation")
    await pool_experts(world, consultation, 3)
    assert len((await panel.draw_experts(officer, consultation, 3))["drawn"]) == 3

    # A pool too small for the draw says so.
    laundry = await published(world, category="laundry", method="negotiation")
    with pytest.raises(InvalidInput) as refused:
        await panel.draw_experts(officer, laundry, 99)
    assert refused.value.errors[0].rule == "pool_too_small"


async def test_only_officers_draw_and_not_once_scoring_closed(world, api):
    tender_id, _, _ = await opened(world)
    async with api("admin") as c:
        response = await c.post(f"/api/tenders/{tender_id}/draws", json={"count": 5})
        assert response.status_code == 403
        assert (await c.get(f"/api/tenders/{tender_id}/draws")).status_code == 200
    async with api("evaluator") as c:
        assert (await c.get(f"/api/tenders/{tender_id}/draws")).status_code == 403
    async with api("procurement") as c:
        for junk in ({"count": 0}, {"count": 100}, {"count": "five"}, {}):
            response = await c.post(f"/api/tenders/{tender_id}/draws", json=junk)
            assert response.status_code in (400, 422), (junk, response.text)
        missing = await c.post("/api/tenders/999999999/draws", json={"count": 5})
        assert missing.status_code == 404
    with pytest.raises(Forbidden):
        await panel.draw_experts(world.principals["admin"], tender_id, 5)


async def test_report_in_chinese_names_members_roles_signatures_and_dissent(world, app, api):
    officer = world.principals["procurement"]
    tender_id, _, receipts = await opened(world)
    (rep,) = await evaluators(world, 1)
    members = await seat_panel(world, tender_id, 4, [rep])
    scores = {r["bid_id"]: {"technical": ["80"] * 5, "service": ["75"] * 5} for r in receipts}
    for m in members:
        await scoring.declare(m, tender_id, [], "")
    await declare_and_score(tender_id, members[:4], scores)
    last = [
        scoring.ScoreInput(b, k, D(v[4])) for b, by_key in scores.items() for k, v in by_key.items()
    ]
    with pytest.raises(InvalidInput):  # a dissent is kept short
        await scoring.save_scores(members[4], tender_id, last, True, "意" * 2001)
    await scoring.save_scores(members[4], tender_id, last, True, "对第三名的评分有保留意见")
    await evaluation.close_evaluation(officer, tender_id)
    async with api("procurement") as c:
        pdf = await c.get(
            f"/api/tenders/{tender_id}/report.pdf", headers={"Accept-Language": "zh-CN"}
        )
    assert pdf.status_code == 200
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    flat = text.replace("\n", "")
    assert text.count("签字：________ 日期：______") == 5
    # The representative's role, and the buyer's own signature block at the end.
    assert text.count("采购人代表") == 2 and text.count("评审专家") >= 4
    assert "对第三名的评分有保留意见" in flat
    for m in members:  # (experts other tests put in the pool may be named by their login)
        assert m.display_name in flat
        assert m.display_name == m.username or m.username not in flat
    # Page numbers, ranks (第 1) and row numbers are not ids; what is left must hold none.
    body = re.sub(r"第 \d+( / \d+ 页)?|^\d+ ", "", text, flags=re.M)
    for r in receipts:  # no database id of a bid
        assert f" {r['bid_id']} " not in body


# --- races -------------------------------------------------------------------------------------


async def test_two_draws_at_once_draw_once(world, api):
    tender_id, _, _ = await opened(world)
    await pool_experts(world, tender_id, 5)
    async with api("procurement") as c:
        responses = await twice(c, f"/api/tenders/{tender_id}/draws", {"count": 5})
    assert codes(responses) == [200, 409], [r.text for r in responses]
    loser = next(r for r in responses if r.status_code == 409)
    assert "drawn already" in loser.json()["detail"]
    assert await PanelDraw.count().where(PanelDraw.tender == tender_id) == 1
    assert await PanelMember.count().where(PanelMember.tender == tender_id) == 5
    assert len(await actions("tender", tender_id, "draw_experts")) == 1


async def test_two_replacements_at_once_replace_once(world, app):
    officer = world.principals["procurement"]
    tender_id, bidders, _ = await opened(world)
    members = await seat_panel(world, tender_id, 5)
    await scoring.declare(members[0], tender_id, [bidders[1].vendor_id], "近三年曾为其提供咨询")
    member = await member_id(tender_id, members[0])
    async with as_user(app, officer) as c:
        responses = await twice(c, f"/api/tenders/{tender_id}/panel/{member}/replacement")
    assert codes(responses) == [200, 409], [r.text for r in responses]
    assert await PanelMember.count().where(PanelMember.tender == tender_id) == 6
    assert len(await actions("tender", tender_id, "draw_replacement")) == 1


async def test_the_same_expert_added_twice_at_once_is_one_entry(world, api):
    (expert,) = await evaluators(world, 1)
    body = {"category": "catering", "evaluator_id": expert.user_id}
    async with api("procurement") as c:
        responses = await asyncio.gather(*[c.post("/api/expert-pool", json=body) for _ in range(3)])
    assert codes(responses) == [200, 200, 200], [r.text for r in responses]
    assert sorted(r.json()["changed"] for r in responses) == [False, False, True]
    rows = await ExpertPoolEntry.count().where(
        (ExpertPoolEntry.category == "catering") & (ExpertPoolEntry.evaluator == expert.user_id)
    )
    assert rows == 1
    added = [
        a
        for a in await actions("expert_pool", "catering", "add_expert")
        if a["after"]["expert"] == expert.username
    ]
    assert len(added) == 1


# --- pages -------------------------------------------------------------------------------------


async def test_pool_and_panel_pages(world, login):
    tender_id, _, _ = await opened(world)
    members = await seat_panel(world, tender_id, 5)
    async with login("procurement") as c:
        page = await c.get(f"/tenders/{tender_id}/panel")
        assert page.status_code == 200
        assert "first draw" in page.text and "Draw the experts" not in page.text
        for m in members:
            assert m.display_name in page.text
        pool = await c.get("/tenders/experts?category=cleaning")
        assert pool.status_code == 200 and members[0].display_name in pool.text
        token = await csrf_token(c, "/tenders/experts?category=cleaning")
        refused = await c.post(
            "/tenders/experts",
            data={"_csrf_token": token, "category": "cleaning", "evaluator_id": ""},
        )
        assert refused.status_code == 422
        assert "choose the evaluator account to add" in refused.text
    async with login("admin") as c:
        pool = await c.get("/tenders/experts?category=cleaning")
        assert pool.status_code == 200 and "Add to the pool" not in pool.text
    async with login("vendor") as c:
        assert (await c.get("/tenders/experts")).status_code == 403
