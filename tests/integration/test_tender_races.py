"""Two people acting on one tender at the same moment (§3, issue 12): real concurrent requests
through the API. On PostgreSQL they run on separate connections and truly race; each state
change reads the tender under its row lock, so the loser gets 409 saying what changed and an
idempotent repeat returns the first result, never 500."""

from __future__ import annotations

import asyncio
import json
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from tests.conftest import http_client
from tests.integration.test_tenders import (
    audit_count,
    bid,
    bidder,
    declare_and_score,
    evaluators,
    pass_deadline,
    published,
    seat_panel,
    tender_input,
)
from vendorgov.accounts import service as accounts
from vendorgov.accounts.roles import Principal
from vendorgov.audit import service as audit
from vendorgov.audit.tables import AuditEntry
from vendorgov.contracts.tables import Contract
from vendorgov.tenders import evaluation, opening, publication, scoring
from vendorgov.tenders.tables import Bid, PanelMember, Score, Tender

PRICES = ("800000.00", "810000.00", "820000.00")


@asynccontextmanager
async def as_user(app, principal: Principal):
    """An API client with a bearer token of this principal (bidders and evaluators are made
    per test, so the session's tokens do not cover them)."""
    token = (await accounts.create_token(principal, "race tests"))[1]
    async with http_client(app) as c:
        c.headers["Authorization"] = f"Bearer {token}"
        yield c


async def twice(c, path: str, body: dict | None = None) -> list:
    """The same request twice at the same moment."""
    return await asyncio.gather(*[c.post(path, json=body) for _ in range(2)])


def codes(responses) -> list[int]:
    return sorted(r.status_code for r in responses)


def loser(responses):
    return next(r for r in responses if r.status_code == 409)


async def actions(entity: str, entity_id, action: str) -> list[dict]:
    rows = (
        await AuditEntry.select(AuditEntry.before, AuditEntry.after)
        .where(
            (AuditEntry.entity == entity)
            & (AuditEntry.entity_id == str(entity_id))
            & (AuditEntry.action == action)
        )
        .order_by(AuditEntry.id)
    )
    return [{k: json.loads(v) if v else None for k, v in row.items()} for row in rows]


async def opened(world, prices=PRICES) -> tuple[int, list[dict]]:
    tender_id = await published(world)
    receipts = [await bid(await bidder(world), tender_id, p) for p in prices]
    await pass_deadline(tender_id)
    await opening.open_tender(world.principals["procurement"], tender_id)
    return tender_id, receipts


async def with_panel(world, tender_id: int) -> list[Principal]:
    panel = await seat_panel(world, tender_id, 5)
    for p in panel:
        await scoring.declare(p, tender_id, [], "")
    return panel


async def evaluated(world) -> tuple[int, list[dict]]:
    tender_id, receipts = await opened(world)
    panel = await with_panel(world, tender_id)
    scores = {r["bid_id"]: {"technical": ["80"] * 5, "service": ["70"] * 5} for r in receipts}
    await declare_and_score(tender_id, panel, scores)
    await evaluation.close_evaluation(world.principals["procurement"], tender_id)
    return tender_id, receipts


# --- the tender's own transitions ------------------------------------------------------------


async def test_two_publishes_one_wins(world, api):
    tender_id = await publication.create_tender(world.principals["procurement"], tender_input())
    async with api("procurement") as c:
        responses = await twice(c, f"/api/tenders/{tender_id}/publish")
    assert codes(responses) == [200, 409], [r.text for r in responses]
    assert "Published" in loser(responses).json()["detail"]
    assert await audit_count("tender", tender_id) == 2  # create, publish
    assert (await audit.verify()).intact


async def test_two_cancels_one_wins_and_its_reason_stays(world, api):
    tender_id = await published(world)
    async with api("procurement") as c:
        responses = await asyncio.gather(
            *[
                c.post(f"/api/tenders/{tender_id}/cancel", json={"reason": reason})
                for reason in ("采购需求发生变化", "预算调整取消采购")
            ]
        )
    assert codes(responses) == [200, 409], [r.text for r in responses]
    assert "Cancelled" in loser(responses).json()["detail"]
    (cancelled,) = await actions("tender", tender_id, "cancel")
    row = await Tender.select(Tender.closed_reason).where(Tender.id == tender_id).first()
    assert row["closed_reason"] == cancelled["after"]["closed_reason"]


async def test_two_fails_one_wins(world, api):
    tender_id, _ = await opened(world)
    async with api("procurement") as c:
        responses = await twice(
            c, f"/api/tenders/{tender_id}/fail", {"reason": "出现影响采购公正的违法行为"}
        )
    assert codes(responses) == [200, 409], [r.text for r in responses]
    assert len(await actions("tender", tender_id, "fail")) == 1


async def test_deadline_moves_only_postpone_even_at_the_same_moment(world, api):
    tender_id = await published(world)
    now = datetime.now(UTC).replace(microsecond=0)
    sooner, later = now + timedelta(days=3), now + timedelta(days=5)
    async with api("procurement") as c:
        responses = await asyncio.gather(
            *[
                c.post(
                    f"/api/tenders/{tender_id}/deadline",
                    json={"bid_deadline": d.isoformat(), "reason": "延期以便更多供应商参与"},
                )
                for d in (sooner, later)
            ]
        )
        # Whichever ran second either postponed further or was told the deadline moved past it.
        assert codes(responses) in ([200, 200], [200, 409]), [r.text for r in responses]
        if 409 in codes(responses):
            assert responses[0].status_code == 409
            assert "postponed" in responses[0].json()["detail"]
        row = await Tender.select(Tender.bid_deadline).where(Tender.id == tender_id).first()
        assert row["bid_deadline"] == later
        moves = await actions("tender", tender_id, "change_deadline")
        for move in moves:
            before, after = (datetime.fromisoformat(m["bid_deadline"]) for m in move.values())
            assert after > before
        # The same move twice is one move.
        again = now + timedelta(days=6)
        body = {"bid_deadline": again.isoformat(), "reason": "再次延期以便更多参与"}
        responses = await twice(c, f"/api/tenders/{tender_id}/deadline", body)
    assert codes(responses) == [200, 200], [r.text for r in responses]
    assert len(await actions("tender", tender_id, "change_deadline")) == len(moves) + 1


async def test_two_openings_open_once(world, api):
    tender_id = await published(world)
    for p in PRICES:
        await bid(await bidder(world), tender_id, p)
    await pass_deadline(tender_id)
    async with api("procurement") as c:
        responses = await twice(c, f"/api/tenders/{tender_id}/open")
    assert codes(responses) == [200, 409], [r.text for r in responses]
    assert "opened" in loser(responses).json()["detail"]
    assert len(await actions("tender", tender_id, "open")) == 1


async def test_two_closings_close_once(world, api):
    tender_id, receipts = await opened(world)
    panel = await with_panel(world, tender_id)
    scores = {r["bid_id"]: {"technical": ["80"] * 5, "service": ["70"] * 5} for r in receipts}
    await declare_and_score(tender_id, panel, scores)
    async with api("procurement") as c:
        responses = await twice(c, f"/api/tenders/{tender_id}/close")
    assert codes(responses) == [200, 409], [r.text for r in responses]
    assert "Evaluated" in loser(responses).json()["detail"]
    assert len(await actions("tender", tender_id, "close_evaluation")) == 1


async def test_two_awards_make_one_contract(world, api):
    tender_id, receipts = await evaluated(world)
    first = (await evaluation.results(world.principals["procurement"], tender_id))["candidates"][0]
    async with api("procurement") as c:
        responses = await twice(c, f"/api/tenders/{tender_id}/award", {"bid_id": first["id"]})
    assert codes(responses) == [201, 409], [r.text for r in responses]
    assert "Awarded" in loser(responses).json()["detail"]
    assert await Contract.count().where(Contract.tender_id == tender_id) == 1
    assert len(await actions("tender", tender_id, "award")) == 1
    assert (await audit.verify()).intact


# --- reviews and the panel -------------------------------------------------------------------


async def test_two_compliance_reviews_of_one_bid_each_see_the_other(world, api):
    tender_id, receipts = await opened(world)
    bid_id = receipts[0]["bid_id"]
    async with api("procurement") as c:
        responses = await asyncio.gather(
            c.post(f"/api/bids/{bid_id}/compliance", json={"compliant": True}),
            c.post(
                f"/api/bids/{bid_id}/compliance",
                json={"compliant": False, "reason": "缺少项目负责人资格证明"},
            ),
        )
        assert codes(responses) == [200, 200], [r.text for r in responses]
        # The second decision's "before" is the first one's "after", not the state both read.
        first, second = await actions("bid", bid_id, "compliance")
        assert first["before"] == {"compliance": ""}
        assert second["before"] == {"compliance": first["after"]["compliance"]}
        final = await Bid.select(Bid.compliance).where(Bid.id == bid_id).first()
        assert final["compliance"] == second["after"]["compliance"]
        # The same decision twice is one decision.
        body = {"compliant": False, "reason": "投标文件未按要求签字盖章"}
        responses = await twice(c, f"/api/bids/{bid_id}/compliance", body)
    assert codes(responses) == [200, 200], [r.text for r in responses]
    assert len(await actions("bid", bid_id, "compliance")) == 3


async def test_two_low_price_decisions_one_recorded_after_the_other(world, api):
    tender_id, receipts = await opened(world, ("800000.00", "810000.00", "820000.00", "500000.00"))
    low = receipts[3]["bid_id"]
    async with api("procurement") as c:
        responses = await asyncio.gather(
            *[
                c.post(f"/api/bids/{low}/low-price", json={"decision": d, "reason": r})
                for d, r in (
                    ("accepted", "供应商已书面说明成本构成"),
                    ("rejected", "无法说明成本构成"),
                )
            ]
        )
        assert codes(responses) == [200, 200], [r.text for r in responses]
        first, second = await actions("bid", low, "low_price_decision")
        assert first["before"] == {"low_decision": ""}
        assert second["before"] == {"low_decision": first["after"]["low_decision"]}
        body = {"decision": "rejected", "reason": "复核后仍无法说明成本"}
        responses = await twice(c, f"/api/bids/{low}/low-price", body)
    assert codes(responses) == [200, 200], [r.text for r in responses]
    assert len(await actions("bid", low, "low_price_decision")) == 3


async def test_the_same_panel_assigned_twice_is_one_panel(world, api):
    tender_id, _ = await opened(world)
    await seat_panel(world, tender_id, 5)
    representatives = await evaluators(world, 2)
    body = {"evaluator_ids": [p.user_id for p in representatives]}
    async with api("procurement") as c:
        responses = await twice(c, f"/api/tenders/{tender_id}/panel", body)
    assert codes(responses) == [200, 200], [r.text for r in responses]
    assert await PanelMember.count().where(PanelMember.tender == tender_id) == 7
    assert len(await actions("tender", tender_id, "assign_panel")) == 1


async def test_two_different_panels_at_once_make_no_even_panel(world, api):
    tender_id, _ = await opened(world)
    await seat_panel(world, tender_id, 5)
    # Either pair of representatives makes 5 experts of 7; both would leave 5 of 9.
    panels = [await evaluators(world, 2), await evaluators(world, 2)]
    async with api("procurement") as c:
        responses = await asyncio.gather(
            *[
                c.post(
                    f"/api/tenders/{tender_id}/panel",
                    json={"evaluator_ids": [p.user_id for p in ps]},
                )
                for ps in panels
            ]
        )
    assert codes(responses) == [200, 422], [r.text for r in responses]
    assert "two thirds" in max(responses, key=lambda r: r.status_code).text
    assert await PanelMember.count().where(PanelMember.tender == tender_id) == 7


async def test_an_evaluator_declaring_twice_declares_once(world, app):
    tender_id, _ = await opened(world)
    (evaluator,) = await evaluators(world, 1)
    await seat_panel(world, tender_id, 4, [evaluator])
    async with as_user(app, evaluator) as c:
        responses = await twice(c, f"/api/tenders/{tender_id}/declaration", {"conflicts": []})
    assert codes(responses) == [200, 409], [r.text for r in responses]
    assert "declared already" in loser(responses).json()["detail"]
    member = (
        await PanelMember.select()
        .where((PanelMember.tender == tender_id) & (PanelMember.evaluator == evaluator.user_id))
        .first()
    )
    assert len(await actions("panel_member", member["id"], "declare")) == 1


async def test_scores_saved_twice_are_stored_once_and_submitted_once(world, app):
    tender_id, receipts = await opened(world)
    panel = await with_panel(world, tender_id)
    entries = [
        {"bid_id": r["bid_id"], "criterion": k, "score": "80"}
        for r in receipts
        for k in ("technical", "service")
    ]
    member = (
        await PanelMember.select()
        .where((PanelMember.tender == tender_id) & (PanelMember.evaluator == panel[0].user_id))
        .first()
    )
    async with as_user(app, panel[0]) as c:
        responses = await twice(c, f"/api/tenders/{tender_id}/scores", {"scores": entries})
        assert codes(responses) == [200, 200], [r.text for r in responses]
        assert await Score.count().where(Score.member == member["id"]) == len(entries)
        final = {"scores": entries, "submit": True}
        responses = await twice(c, f"/api/tenders/{tender_id}/scores", final)
    assert codes(responses) == [200, 409], [r.text for r in responses]
    assert "submitted them already" in loser(responses).json()["detail"]
    assert await Score.count().where(Score.member == member["id"]) == len(entries)
    assert len(await actions("panel_member", member["id"], "submit_scores")) == 1


async def test_a_final_submission_racing_the_closing_is_never_lost(world, api, app):
    """Either the closing sees the last evaluator's scores, or the evaluator is told scoring
    closed; never a closed evaluation missing a submission, never a submission after it."""
    tender_id, receipts = await opened(world)
    panel = await with_panel(world, tender_id)
    scores = {r["bid_id"]: {"technical": ["80"] * 4, "service": ["70"] * 4} for r in receipts}
    await declare_and_score(tender_id, panel[:4], scores)
    entries = [
        {"bid_id": r["bid_id"], "criterion": k, "score": "75"}
        for r in receipts
        for k in ("technical", "service")
    ]
    async with api("procurement") as officer, as_user(app, panel[4]) as last:
        submitted, closed = await asyncio.gather(
            last.post(f"/api/tenders/{tender_id}/scores", json={"scores": entries, "submit": True}),
            officer.post(f"/api/tenders/{tender_id}/close"),
        )
    assert submitted.status_code == 200, submitted.text
    # The closing either waited for the submission and closed, or ran first and found it missing.
    assert closed.status_code in (200, 422), closed.text
    row = await Tender.select(Tender.status).where(Tender.id == tender_id).first()
    assert row["status"] == ("evaluated" if closed.status_code == 200 else "opened")


# --- bids ------------------------------------------------------------------------------------


async def test_two_bids_of_one_vendor_at_once_leave_one_active(world, app):
    tender_id = await published(world)
    vendor = await bidder(world)
    async with as_user(app, vendor.principal) as c:
        responses = await asyncio.gather(
            *[c.post(f"/api/tenders/{tender_id}/bids", data={"price": p}) for p in PRICES[:2]]
        )
    assert codes(responses) == [201, 201], [r.text for r in responses]
    active = await Bid.select().where((Bid.tender == tender_id) & (Bid.state == "active"))
    assert len(active) == 1
    # The later one replaced the earlier one and says so on its receipt.
    later, earlier = sorted((r.json() for r in responses), key=lambda r: r["received_at"])[::-1]
    assert active[0]["ref"] == later["ref"]
    assert later["replaces"] == [earlier["ref"]]


async def test_a_withdrawal_racing_a_replacement_leaves_a_consistent_bid(world, app):
    tender_id = await published(world)
    vendor = await bidder(world)
    first = await bid(vendor, tender_id, PRICES[0])
    async with as_user(app, vendor.principal) as c:
        replaced, withdrawn = await asyncio.gather(
            c.post(f"/api/tenders/{tender_id}/bids", data={"price": PRICES[1]}),
            c.post(f"/api/tenders/{tender_id}/bids/withdraw"),
        )
    assert replaced.status_code == 201, replaced.text
    assert withdrawn.status_code == 200, withdrawn.text
    rows = {b["ref"]: b["state"] for b in await Bid.select().where(Bid.tender == tender_id)}
    new = replaced.json()["ref"]
    # Withdrawn first: the replacement is a new bid that stands. Replaced first: the withdrawal
    # ended the replacement. Never two active bids, never a withdrawn bid left active.
    assert rows[first["ref"]] in ("withdrawn", "replaced")
    if rows[first["ref"]] == "withdrawn":
        assert rows[new] == "active" and replaced.json()["replaces"] == []
    else:
        assert rows[new] == "withdrawn" and replaced.json()["replaces"] == [first["ref"]]
    assert list(rows.values()).count("active") <= 1


async def test_a_withdrawal_sent_fifty_times_withdraws_once(world, app):
    tender_id = await published(world)
    vendor = await bidder(world)
    mine = await bid(vendor, tender_id, PRICES[0])
    async with as_user(app, vendor.principal) as c:
        responses = await asyncio.gather(
            *[c.post(f"/api/tenders/{tender_id}/bids/withdraw") for _ in range(50)]
        )
    assert codes(responses) == [200] * 50, {r.text for r in responses}
    assert len(await actions("bid", mine["bid_id"], "withdraw")) == 1
