"""Tenders through the service (domain rules §3): a worked tender from publication to award,
with every price score, total, rank and candidate computed by hand; the lowest-price method;
the bad inputs of the issue; tampering; and vendor isolation."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from tests.conftest import PASSWORD, PDF, World, http_client, log_in, new_vendor, unique
from vendorgov.accounts import service as accounts
from vendorgov.accounts.roles import Principal
from vendorgov.audit.tables import AuditEntry
from vendorgov.contracts import service as contracts
from vendorgov.errors import Conflict, Forbidden, InvalidInput, NotFound
from vendorgov.files.service import Upload
from vendorgov.i18n import using_locale
from vendorgov.recorded import read
from vendorgov.tenders import (
    awarding,
    bidding,
    evaluation,
    opening,
    publication,
    ranking_rules,
    reading,
    scoring,
)
from vendorgov.tenders import panel as panel_service
from vendorgov.tenders.publication import TenderInput
from vendorgov.tenders.rules import Criterion
from vendorgov.tenders.scoring import ScoreInput
from vendorgov.tenders.tables import Bid, PanelMember, Score, Tender
from vendorgov.vendors import qualifications as vendor_qualifications
from vendorgov.vendors import registry as vendor_registry
from vendorgov.vendors.rules import QualificationInput

D = Decimal

CLAUSES = [
    {
        "code": "SLA-1",
        "name": "保洁呼叫30分钟响应",
        "kind": "response_within",
        "target": "95",
        "minimum": "80",
        "weight": "2",
        "threshold_minutes": 30,
    },
    {
        "code": "SLA-2",
        "name": "病区满意率",
        "kind": "satisfaction_rate",
        "target": "90",
        "minimum": "75",
        "weight": "1",
    },
]
SLA = {
    "clauses": CLAUSES,
    "penalties": [{"trigger": "critical_finding", "amount": "2000"}],
    "terms_text": "乙方按附件一提供服务。",
}
STANDARD = [
    Criterion("price", "价格", D(30)),
    Criterion("technical", "技术方案", D(40)),
    Criterion("service", "服务承诺", D(30)),
]
TODAY = date.today()
# A whole calendar year some time after any deadline the tests set: 12 months.
SERVICE_START = date(TODAY.year + 1, 1, 1)
SERVICE_END = date(TODAY.year + 1, 12, 31)


def tender_input(**overrides) -> TenderInput:
    data = dict(
        reference=unique("ZFCG"),
        title="住院部保洁服务采购",
        category="cleaning",
        method="open",
        evaluation_method="comprehensive",
        budget_ceiling=D("1000000.00"),
        service_start=SERVICE_START,
        service_end=SERVICE_END,
        bid_deadline=datetime.now(UTC) + timedelta(hours=2),
        scope="住院部1–12层日常保洁及医疗废物收运",
        qualification_types=["business_licence"],
        criteria=list(STANDARD),
        sla_template=SLA,
    )
    if overrides.get("method") == "negotiation":  # §3a: negotiation goes by the lowest price
        data.update(evaluation_method="lowest_price", criteria=[Criterion("price", "价格", D(100))])
    data.update(overrides)
    return TenderInput(**data)


@dataclass
class Bidder:
    vendor_id: int
    principal: Principal
    name: str


async def bidder(world: World, category: str = "cleaning", licence: bool = True) -> Bidder:
    admin = world.principals["admin"]
    name = unique("投标保洁公司")
    vendor_id = await new_vendor(world, name=name, categories=[category])
    if licence:
        await vendor_qualifications.add_qualification(
            admin,
            vendor_id,
            QualificationInput("business_licence", unique("L"), date(2020, 1, 1), date(2040, 1, 1)),
            Upload("licence.pdf", PDF),
        )
    user_id = await accounts.create_account(
        admin,
        username=unique("bidder"),
        password=PASSWORD,
        role="vendor",
        display_name=name,
        vendor_id=vendor_id,
    )
    return Bidder(vendor_id, await accounts.principal_for_user(user_id), name)


async def evaluators(world: World, n: int) -> list[Principal]:
    result = []
    for i in range(n):
        user_id = await accounts.create_account(
            world.principals["admin"],
            username=unique("expert"),
            password=PASSWORD,
            role="evaluator",
            display_name=f"评标专家{i + 1}-{unique('E')}",
        )
        result.append(await accounts.principal_for_user(user_id))
    return result


async def pool_experts(world: World, tender_id: int, n: int) -> list[Principal]:
    """n fresh evaluator accounts put in the tender's category pool."""
    officer = world.principals["procurement"]
    row = await Tender.select(Tender.category).where(Tender.id == tender_id).first()
    fresh = await evaluators(world, n)
    for e in fresh:
        await panel_service.add_to_pool(officer, row["category"], e.user_id)
    return fresh


async def seat_panel(
    world: World, tender_id: int, experts: int, representatives: list[Principal] = ()
) -> list[Principal]:
    """§3's panel: the purchaser representatives appointed, then `experts` experts drawn at
    random from the category's pool (given that many fresh experts first; whoever else is in
    the pool may be drawn too). Returns the representatives, then the experts as drawn."""
    officer = world.principals["procurement"]
    if representatives:
        await scoring.assign_panel(officer, tender_id, [r.user_id for r in representatives])
    await pool_experts(world, tender_id, experts)
    drawn = await panel_service.draw_experts(officer, tender_id, experts)
    return [*representatives, *[await accounts.principal_for_user(i) for i in drawn["drawn"]]]


async def member_id(tender_id: int, who: Principal) -> int:
    row = (
        await PanelMember.select(PanelMember.id)
        .where((PanelMember.tender == tender_id) & (PanelMember.evaluator == who.user_id))
        .first()
    )
    return row["id"]


def proposal(marker: str) -> Upload:
    return Upload("技术方案.pdf", PDF.replace(b"%%EOF", f"% {marker}\n%%EOF".encode()))


async def published(world: World, **overrides) -> int:
    officer = world.principals["procurement"]
    tender_id = await publication.create_tender(officer, tender_input(**overrides))
    await publication.publish(officer, tender_id)
    return tender_id


async def pass_deadline(tender_id: int) -> None:
    """Opening needs the deadline passed; deadlines must be future when set, so move it back."""
    await Tender.update({Tender.bid_deadline: datetime.now(UTC)}).where(Tender.id == tender_id)


async def bid(b: Bidder, tender_id: int, price: str, files=()) -> dict:
    return await bidding.submit_bid(b.principal, tender_id, D(price), [], list(files))


async def audit_count(entity: str, entity_id) -> int:
    return await AuditEntry.count().where(
        (AuditEntry.entity == entity) & (AuditEntry.entity_id == str(entity_id))
    )


async def declare_and_score(tender_id: int, panel: list[Principal], scores: dict) -> None:
    """scores: {bid_id: {criterion: [one score per evaluator]}}; each declares, then submits."""
    for i, evaluator in enumerate(panel):
        entries = [
            ScoreInput(bid_id, key, D(values[i]), f"第{i + 1}位专家意见")
            for bid_id, by_key in scores.items()
            for key, values in by_key.items()
        ]
        await scoring.save_scores(evaluator, tender_id, entries, submit=True)


# --- the worked tender -----------------------------------------------------------------------


async def test_worked_tender_from_publication_to_award(world):
    officer = world.principals["procurement"]
    tender_id = await published(world)
    tender = await reading.get_tender(officer, tender_id)
    assert tender["status"] == "published"
    reference = tender["reference"]

    x, y, z, over = [await bidder(world) for _ in range(4)]
    # X first offers 900,000.00, then replaces it: only the latest counts at opening.
    first = await bid(x, tender_id, "900000.00", [proposal("X-first")])
    x_receipt = await bid(x, tender_id, "800000.00", [proposal("X-final")])
    assert x_receipt["replaces"] == [first["bid_id"]]
    assert len(x_receipt["digest"]) == 64 and x_receipt["received_at"].tzinfo is not None
    y_receipt = await bid(y, tender_id, "800000.00")
    z_receipt = await bid(z, tender_id, "950000.00", [proposal("Z")])
    # Above the ceiling: accepted at submission, invalid at opening.
    over_receipt = await bid(over, tender_id, "1050000.00")
    X, Y, Z, OVER = (r["bid_id"] for r in (x_receipt, y_receipt, z_receipt, over_receipt))
    assert (await reading.get_tender(officer, tender_id))["bids_received"] == 4

    # Opening before the deadline: refused, nothing written.
    before = await audit_count("tender", tender_id)
    with pytest.raises(Conflict) as refused:
        await opening.open_tender(officer, tender_id)
    assert refused.value.status_code == 409
    assert await audit_count("tender", tender_id) == before
    assert (await Tender.select(Tender.status).where(Tender.id == tender_id).first())[
        "status"
    ] == "published"

    await pass_deadline(tender_id)
    with pytest.raises(Conflict):  # a bid after the deadline
        await bid(y, tender_id, "700000.00")
    assert await Bid.count().where(Bid.tender == tender_id) == 5

    summary = await opening.open_tender(officer, tender_id)
    assert summary["status"] == "opened"
    assert (summary["bids"], summary["valid"]) == (4, 3)
    assert summary["digest_mismatches"] == [] and summary["abnormally_low"] == []

    listed = {b["id"]: b for b in await bidding.bids(officer, tender_id)}
    assert listed[first["bid_id"]]["state"] == "replaced"
    assert listed[X]["price"] == D("800000.00")  # the replacing bid, not 900,000.00
    assert listed[OVER]["invalid_reasons"] == [
        "the price ¥1,050,000.00 exceeds the budget ceiling ¥1,000,000.00"
    ]
    assert not listed[OVER]["eligible"]
    assert all(listed[b]["eligible"] and listed[b]["digest_ok"] for b in (X, Y, Z))
    assert [f["name"] for f in listed[X]["files"]] == ["技术方案.pdf"]
    name, data = await bidding.bid_file(officer, X, 0)
    assert b"X-final" in data and data.startswith(b"%PDF-")

    # The panel: five experts drawn from the pool; one declares a conflict with X and leaves,
    # a replacement is drawn.
    await pool_experts(world, tender_id, 6)
    with pytest.raises(InvalidInput) as refused:  # an even panel, too small
        await panel_service.draw_experts(officer, tender_id, 2)
    assert {e.rule for e in refused.value.errors} == {"panel_size", "panel_odd"}
    drawn = (await panel_service.draw_experts(officer, tender_id, 5))["drawn"]
    e1, e2, e3, e4, e5 = [await accounts.principal_for_user(i) for i in drawn]
    with pytest.raises(Conflict):  # the experts are drawn once
        await panel_service.draw_experts(officer, tender_id, 5)

    # Scoring before declaring: refused, nothing written.
    with pytest.raises(Forbidden):
        await scoring.save_scores(e1, tender_id, [ScoreInput(X, "technical", D(80))], False)
    with pytest.raises(Forbidden):
        await bidding.bids(e1, tender_id)
    names = {b["vendor_id"] for b in await scoring.bidders(e1, tender_id)}
    assert names == {x.vendor_id, y.vendor_id, z.vendor_id, over.vendor_id}

    assert await scoring.declare(e5, tender_id, [x.vendor_id], "曾任该公司技术顾问") is False
    with pytest.raises(Forbidden):
        await scoring.scoring_sheet(e5, tender_id)
    with pytest.raises(Forbidden):
        await bidding.bids(e5, tender_id)
    with pytest.raises(Forbidden):  # nor the bidders' names
        await scoring.bidders(e5, tender_id)
    assert await scoring.declare(e1, tender_id, [], "") is True
    with pytest.raises(Conflict) as refused:  # scoring waits for the panel to be complete
        await scoring.scoring_sheet(e1, tender_id)
    assert "at least 5 members" in refused.value.message
    replacement = await panel_service.draw_replacement(
        officer, tender_id, await member_id(tender_id, e5)
    )
    e6 = await accounts.principal_for_user(replacement["drawn"][0])
    assert e6.user_id not in drawn
    panel = [e1, e2, e3, e4, e6]
    for evaluator in panel[1:]:
        assert await scoring.declare(evaluator, tender_id, [], "") is True
    sheet = await scoring.scoring_sheet(e1, tender_id)
    assert {b["id"] for b in sheet["bids"]} == {X, Y, Z}  # the invalid bid is not scored
    assert [c.key for c in sheet["criteria"]] == ["technical", "service"]

    # Scores outside 0–100 (or with 3 decimals): refused, nothing written.
    for bad in ("100.01", "-1", "80.125"):
        with pytest.raises(InvalidInput):
            await scoring.save_scores(e1, tender_id, [ScoreInput(X, "technical", D(bad))], False)
    with pytest.raises(InvalidInput):  # the invalid bid cannot be scored
        await scoring.save_scores(e1, tender_id, [ScoreInput(OVER, "technical", D(50))], False)
    with pytest.raises(InvalidInput):  # submitting an incomplete sheet
        await scoring.save_scores(e1, tender_id, [ScoreInput(X, "technical", D(50))], True)
    member_ids = [
        m["id"] for m in await PanelMember.select().where(PanelMember.tender == tender_id)
    ]
    assert await Score.count().where(Score.member.is_in(member_ids)) == 0

    # Per evaluator (e1, e2, e3, e4, e6):
    scores = {
        X: {"technical": [78, 82, 80, 79, 81], "service": [80, 80, 75, 85, 80]},
        Y: {"technical": [75, 79, 77, 76, 78], "service": [84, 84, 80, 88, 84]},
        Z: {"technical": [83, 84, 85, 82, 84], "service": [90, 92, 91, 91, 91]},
    }
    await declare_and_score(tender_id, panel[:4], scores)
    # Until everyone has submitted, an evaluator sees only their own scores.
    sheet = await scoring.scoring_sheet(e1, tender_id)
    assert not sheet["everyone_done"] and sheet["everyone"] == []
    assert sheet["mine"][(X, "technical")]["score"] == D("78.00")
    assert len(sheet["mine"]) == 6
    with pytest.raises(Conflict):  # submitted scores are final
        await scoring.save_scores(e1, tender_id, [ScoreInput(X, "technical", D(1))], False)
    with pytest.raises(InvalidInput):  # the sixth evaluator has not submitted
        await evaluation.close_evaluation(officer, tender_id)
    e6_entries = [
        ScoreInput(b, k, D(v[4])) for b, by_key in scores.items() for k, v in by_key.items()
    ]
    await scoring.save_scores(e6, tender_id, e6_entries, submit=True)
    sheet = await scoring.scoring_sheet(e1, tender_id)
    assert sheet["everyone_done"] and len(sheet["everyone"]) == 5 * 6
    progress = await scoring.panel(officer, tender_id)
    assert [m["conflict"] for m in progress].count(True) == 1
    assert all(m["scores_entered"] == 6 for m in progress if not m["conflict"])

    closed = await evaluation.close_evaluation(officer, tender_id)
    assert closed["status"] == "evaluated"
    with pytest.raises(Forbidden):  # the evaluator who left for a conflict sees no results
        await evaluation.results(e5, tender_id)
    assert (await evaluation.results(e1, tender_id))["ranked"]
    results = await evaluation.results(officer, tender_id)
    by_id = {b["id"]: b for b in results["ranked"]}

    # By hand (§3). Lowest valid price 800,000.00 (X and Y; the 1,050,000.00 bid is invalid).
    #   price score X = Y = 800000 / 800000 × 100 = 100.00
    #   price score Z     = 800000 / 950000 × 100 = 84.2105263… → shown 84.21
    # Criterion means over the five evaluators:
    #   X technical (78+82+80+79+81)/5 = 400/5 = 80.00, service (80+80+75+85+80)/5 = 80.00
    #   Y technical (75+79+77+76+78)/5 = 385/5 = 77.00, service (84+84+80+88+84)/5 = 84.00
    #   Z technical (83+84+85+82+84)/5 = 418/5 = 83.60, service (90+92+91+91+91)/5 = 91.00
    # Totals, Σ weight × score / 100:
    #   X: 30 × 100/100 + 40 × 80/100 + 30 × 80/100 = 30 + 32 + 24       = 86.00
    #   Y: 30 × 100/100 + 40 × 77/100 + 30 × 84/100 = 30 + 30.8 + 25.2   = 86.00
    #   Z: 30 × 84.2105…/100 + 40 × 83.6/100 + 30 × 91/100
    #      = 25.2631578… + 33.44 + 27.3 = 86.0031578… → 86.00
    # All three total 86.00: X and Y tie on price too and share rank 1; Z is behind them on
    # price alone (tie on total broken by price) and ranks 3 (1, 1, 3).
    expected = {
        X: (D("100.00"), {"technical": D("80.00"), "service": D("80.00")}, D("86.00"), 1),
        Y: (D("100.00"), {"technical": D("77.00"), "service": D("84.00")}, D("86.00"), 1),
        Z: (D("84.21"), {"technical": D("83.60"), "service": D("91.00")}, D("86.00"), 3),
    }
    for bid_id, (price_score, means, total, rank) in expected.items():
        got = by_id[bid_id]
        assert (got["price_score"], got["means"], got["total"], got["rank"]) == (
            price_score,
            means,
            total,
            rank,
        ), bid_id
        assert str(got["total"]) == str(total)  # two decimals, as shown
    assert set(by_id) == {X, Y, Z}
    # Candidates in order: X and Y (shared first place, no tie rule stated: the seeded draw
    # made at closing orders them, SHA-256 of "seed:bid id"), then Z.
    row = await Tender.select().where(Tender.id == tender_id).first()
    assert row["tie_rule"] == "" and len(row["tie_seed"]) == 32
    first, second = sorted([X, Y], key=lambda b: ranking_rules.draw_key(row["tie_seed"], b))
    assert [b["id"] for b in results["candidates"]] == [first, second, Z]
    assert [by_id[b]["candidate"] for b in (first, second, Z)] == [1, 2, 3]
    assert len(results["matrix"]) == 5 * 6
    draws = await AuditEntry.select(AuditEntry.after).where(
        (AuditEntry.entity == "tender")
        & (AuditEntry.entity_id == str(tender_id))
        & (AuditEntry.action == "tie_draw")
    )
    assert len(draws) == 1 and row["tie_seed"] in str(draws[0]["after"])

    # Award Z (candidate 3), or the second candidate, before those ahead are passed over:
    # refused, even with a reason, nothing written.
    before = await audit_count("tender", tender_id)
    for bid_id in (Z, second):
        with pytest.raises(InvalidInput) as refused:
            await awarding.award(officer, tender_id, bid_id, "第一候选人价格更高，改授予")
        assert refused.value.status_code == 422
        assert refused.value.errors[0].rule == "candidate_order"
    assert await audit_count("tender", tender_id) == before
    with pytest.raises(InvalidInput):  # not a ranked bid at all
        await awarding.award(officer, tender_id, OVER, "价格超出预算但仍想授予")
    with pytest.raises(Forbidden):
        await awarding.award(world.principals["admin"], tender_id, first)

    contract_id = await awarding.award(officer, tender_id, first)
    winner = x if first == X else y
    row = await Tender.select().where(Tender.id == tender_id).first()
    assert (row["status"], row["awarded_bid"], row["contract_id"]) == (
        "awarded",
        first,
        contract_id,
    )
    contract = await contracts.get_contract(officer, contract_id)
    assert contract["status"] == "draft" and contract["tender_id"] == tender_id
    assert contract["vendor"] == winner.vendor_id and contract["number"] == f"{reference}-C"
    assert contract["scope"] == "住院部1–12层日常保洁及医疗废物收运"
    assert (contract["start_date"], contract["end_date"]) == (SERVICE_START, SERVICE_END)
    terms = contract["draft"]["terms_obj"]
    # 800,000.00 over 12 months = 66,666.666… → 66,666.66 × 11 = 733,333.26; the last month
    # takes the remainder, 66,666.74, so the term pays the awarded price exactly.
    assert (terms.monthly_fee, terms.final_month_fee) == (D("66666.66"), D("66666.74"))
    assert [c.code for c in terms.clauses] == ["SLA-1", "SLA-2"]
    assert terms.clauses[0].threshold_minutes == 30 and terms.clauses[0].target == D(95)
    assert [p.trigger for p in terms.penalties] == ["critical_finding"]
    assert terms.effective_from == SERVICE_START

    # Every transition left its audit entry.
    actions = [
        r["action"]
        for r in await AuditEntry.select(AuditEntry.action)
        .where((AuditEntry.entity == "tender") & (AuditEntry.entity_id == str(tender_id)))
        .order_by(AuditEntry.id)
    ]
    for action in (
        "create",
        "publish",
        "open",
        "draw_experts",
        "draw_replacement",
        "close_evaluation",
        "award",
    ):
        assert action in actions
    with pytest.raises(Conflict):  # awarded is final
        await awarding.award(officer, tender_id, second)
    my = {b["ref"]: b for b in (await bidding.my_bid_page(x.principal)).items}
    assert my[x_receipt["ref"]]["won"] == (first == X)
    assert my[x_receipt["ref"]]["tender_status"] == "awarded"


# --- lowest evaluated price, abnormally low, award in candidate order -----------------------------


async def test_lowest_price_tender_shares_ranks_and_awards_the_third_candidate_in_order(world):
    officer = world.principals["procurement"]
    tender_id = await published(
        world, evaluation_method="lowest_price", criteria=[Criterion("price", "价格", D(100))]
    )
    a, b, c, d = [await bidder(world) for _ in range(4)]
    prices = {"a": "380000.00", "b": "500000.00", "c": "500000.00", "d": "600000.00"}
    ids = {}
    for key, who in zip("abcd", (a, b, c, d), strict=True):
        ids[key] = (await bid(who, tender_id, prices[key]))["bid_id"]
    await pass_deadline(tender_id)
    summary = await opening.open_tender(officer, tender_id)
    # a: the others' mean (500000 + 500000 + 600000) / 3 = 533,333.33; 20% below is
    # 426,666.67 and 380,000 is lower → flagged. b: others' mean (380000+500000+600000)/3 =
    # 493,333.33 × 0.8 = 394,666.67 < 500,000 → not flagged.
    assert summary["abnormally_low"] == [ids["a"]]

    panel = await seat_panel(world, tender_id, 5)
    for e in panel:
        await scoring.declare(e, tender_id, [], "")
        await scoring.save_scores(e, tender_id, [], submit=True)
    with pytest.raises(InvalidInput) as refused:  # the flag must be decided first
        await evaluation.close_evaluation(officer, tender_id)
    assert refused.value.errors[0].field == "low_decision"
    with pytest.raises(Conflict):  # b is not flagged
        await opening.decide_low_price(officer, ids["b"], "accepted", "成本说明合理")
    with pytest.raises(InvalidInput):
        await opening.decide_low_price(officer, ids["a"], "maybe", "成本说明合理")
    await opening.decide_low_price(
        officer, ids["a"], "accepted", "已提交成本构成说明，评标委员会认可"
    )
    await evaluation.close_evaluation(officer, tender_id)

    results = await evaluation.results(officer, tender_id)
    ranked = {r["id"]: r for r in results["ranked"]}
    # Price ascending; the two 500,000.00 bids share rank 2, the next is 4.
    assert {k: ranked[ids[k]]["rank"] for k in "abcd"} == {"a": 1, "b": 2, "c": 2, "d": 4}
    assert all(ranked[ids[k]]["total"] is None for k in "abcd")
    # price scores: 380000/380000 = 100.00, 380000/500000 = 76.00, 380000/600000 = 63.33
    assert {k: ranked[ids[k]]["price_score"] for k in "abcd"} == {
        "a": D("100.00"),
        "b": D("76.00"),
        "c": D("76.00"),
        "d": D("63.33"),
    }
    # b and c tie on price (rank 2): the seeded draw at closing orders them.
    seed = (await Tender.select(Tender.tie_seed).where(Tender.id == tender_id).first())["tie_seed"]
    second, third = sorted([ids["b"], ids["c"]], key=lambda b: ranking_rules.draw_key(seed, b))
    assert [r["id"] for r in results["candidates"]] == [ids["a"], second, third]

    # d (rank 4) is not a candidate: never awarded, whatever the reason.
    reason = "前三名候选人均放弃中标，经采购人书面同意授予第四名"
    with pytest.raises(InvalidInput) as refused:
        await awarding.award(officer, tender_id, ids["d"], reason)
    assert refused.value.status_code == 422
    # The third candidate only once the first and second are passed over, with evidence.
    with pytest.raises(InvalidInput):
        await awarding.award(officer, tender_id, third, reason)
    with pytest.raises(InvalidInput) as refused:  # a ground and evidence are required
        await awarding.pass_over(officer, tender_id, ids["a"], "", "")
    assert {e.field for e in refused.value.errors} == {"ground"}
    with pytest.raises(InvalidInput) as refused:
        await awarding.pass_over(officer, tender_id, ids["a"], "declined", "")
    assert refused.value.errors[0].field == "evidence"
    with pytest.raises(InvalidInput):  # out of order: the second before the first
        await awarding.pass_over(officer, tender_id, second, "declined", "书面放弃函 2026-01-05")
    await awarding.pass_over(
        officer, tender_id, ids["a"], "declined", "第一候选人2026年1月5日书面放弃中标"
    )
    await awarding.pass_over(
        officer, tender_id, second, "ineligible", "经查实其安全生产许可证已于开标前被吊销"
    )
    assert (await Tender.select(Tender.status).where(Tender.id == tender_id).first())[
        "status"
    ] == "evaluated"
    contract_id = await awarding.award(officer, tender_id, third)
    row = await Tender.select().where(Tender.id == tender_id).first()
    assert row["awarded_bid"] == third
    contract = await contracts.get_contract(officer, contract_id)
    # 500,000.00 / 12 = 41,666.666… → 41,666.66 × 11 = 458,333.26; the last month 41,666.74.
    assert contract["draft"]["terms_obj"].monthly_fee == D("41666.66")
    assert contract["draft"]["terms_obj"].final_month_fee == D("41666.74")
    assert contract["vendor"] == {ids["b"]: b.vendor_id, ids["c"]: c.vendor_id}[third]
    passed = await evaluation.results(officer, tender_id)
    assert [(p["position"], p["ground"]) for p in passed["passed_over"]] == [
        (1, "declined"),
        (2, "ineligible"),
    ]


# --- bad input at creation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "rule"),
    [
        (
            {
                "criteria": [
                    Criterion("price", "价格", D(30)),
                    Criterion("technical", "技术", D(40)),
                    Criterion("service", "服务", D(20)),
                ]
            },
            "weights_sum",
        ),
        (
            {"criteria": [Criterion("price", "价格", D(5)), Criterion("technical", "技术", D(95))]},
            "price_weight",
        ),
        ({"bid_deadline": datetime.now(UTC) - timedelta(minutes=1)}, "future"),
        ({"budget_ceiling": D("-1")}, "positive"),
        ({"qualification_types": ["no_such_licence"]}, "unknown"),
        ({"bid_deadline": datetime.combine(SERVICE_START, datetime.min.time(), UTC)}, None),
    ],
)
async def test_bad_tenders_are_refused_and_nothing_is_written(world, overrides, rule):
    officer = world.principals["procurement"]
    data = tender_input(**overrides)
    before = await AuditEntry.count().where(AuditEntry.entity == "tender")
    with pytest.raises(InvalidInput) as refused:
        await publication.create_tender(officer, data)
    assert refused.value.status_code == 422
    if rule:
        assert rule in {e.rule for e in refused.value.errors}
    assert not await Tender.exists().where(Tender.reference == data.reference)
    assert await AuditEntry.count().where(AuditEntry.entity == "tender") == before


async def test_only_procurement_officers_create_and_deadlines_move_only_forward(world):
    for role in ("admin", "evaluator", "vendor", "finance"):
        with pytest.raises(Forbidden):
            await publication.create_tender(world.principals[role], tender_input())
    officer = world.principals["procurement"]
    tender_id = await published(world)
    with pytest.raises(InvalidInput):  # the new deadline must be future
        await publication.change_deadline(
            officer, tender_id, datetime.now(UTC) - timedelta(hours=1), "延期以便更多供应商参与"
        )
    later = datetime.now(UTC) + timedelta(days=3)
    await publication.change_deadline(officer, tender_id, later, "延期以便更多供应商参与")
    await pass_deadline(tender_id)
    with pytest.raises(Conflict):  # not once it has passed
        await publication.change_deadline(officer, tender_id, later, "再次延期以便更多参与")
    with pytest.raises(Conflict):  # a published tender is not edited
        await publication.update_tender(officer, tender_id, tender_input())


# --- failing, withdrawing, tampering ---------------------------------------------------------


async def test_too_few_valid_bids_fail_the_tender_at_opening(world):
    officer = world.principals["procurement"]
    tender_id = await published(world)
    ok, over, gone, unlicensed = (
        await bidder(world),
        await bidder(world),
        await bidder(world),
        await bidder(world, licence=False),
    )
    await bid(ok, tender_id, "700000.00")
    await bid(over, tender_id, "1000000.01")
    withdrawn = await bid(gone, tender_id, "650000.00")
    await bidding.withdraw_bid(gone.principal, tender_id)
    # A repeated withdrawal (a second click) is the same withdrawal, recorded once.
    await bidding.withdraw_bid(gone.principal, tender_id)
    assert await audit_count("bid", withdrawn["bid_id"]) == 2  # submit, withdraw
    with pytest.raises(NotFound):  # a vendor that never bid has nothing to withdraw
        await bidding.withdraw_bid((await bidder(world)).principal, tender_id)
    unlicensed_bid = await bid(unlicensed, tender_id, "720000.00")
    assert (await reading.get_tender(officer, tender_id))["bids_received"] == 3
    await pass_deadline(tender_id)
    with pytest.raises(Conflict):  # withdrawing after the deadline
        await bidding.withdraw_bid(ok.principal, tender_id)

    summary = await opening.open_tender(officer, tender_id)
    assert (summary["status"], summary["bids"], summary["valid"]) == ("failed", 3, 1)
    row = await Tender.select().where(Tender.id == tender_id).first()
    assert row["status"] == "failed"
    assert read(row["closed_reason"]) == "1 valid bid(s) at opening; at least 3 needed (§3)"
    with using_locale("zh_CN"):  # recorded as a sentence: each reader reads it in theirs
        assert read(row["closed_reason"]) == "开标时有效投标 1 家，至少需要 3 家（§3）"
    listed = {b["id"]: b for b in await bidding.bids(officer, tender_id)}
    assert listed[withdrawn["bid_id"]]["state"] == "withdrawn"
    assert listed[withdrawn["bid_id"]]["price"] is None  # never opened
    assert listed[unlicensed_bid["bid_id"]]["invalid_reasons"] == [
        "no valid Business licence qualification at the bid deadline"
    ]
    # The failed tender keeps its record and allows nothing more.
    assert (await reading.get_tender(officer, tender_id))["actions"] == []
    with pytest.raises(Conflict):
        await scoring.assign_panel(officer, tender_id, [world.principals["evaluator"].user_id])


async def test_a_suspended_vendor_is_invalid_at_opening(world):
    officer = world.principals["procurement"]
    tender_id = await published(world)
    bidders_ = [await bidder(world) for _ in range(4)]
    receipts = [await bid(b, tender_id, "700000.00") for b in bidders_]
    await vendor_registry.change_status(
        world.principals["admin"],
        bidders_[0].vendor_id,
        "suspend",
        "服务质量严重不达标",
        TODAY + timedelta(days=90),
    )
    await pass_deadline(tender_id)
    summary = await opening.open_tender(officer, tender_id)
    assert summary["valid"] == 3 and summary["status"] == "opened"
    listed = {b["id"]: b for b in await bidding.bids(officer, tender_id)}
    assert listed[receipts[0]["bid_id"]]["invalid_reasons"] == [
        "the vendor is Suspended at the bid deadline"
    ]


async def test_tampered_bids_show_a_digest_mismatch_at_opening(world):
    officer = world.principals["procurement"]
    tender_id = await published(world)
    sealed_tampered, digest_tampered, fine = [await bidder(world) for _ in range(3)]
    a = await bid(sealed_tampered, tender_id, "700000.00", [proposal("A")])
    b = await bid(digest_tampered, tender_id, "710000.00")
    c = await bid(fine, tender_id, "720000.00")
    row = await Bid.select(Bid.sealed).where(Bid.id == a["bid_id"]).first()
    sealed = bytearray(base64.b64decode(row["sealed"]))
    sealed[-1] ^= 0x01
    await Bid.update({Bid.sealed: base64.b64encode(bytes(sealed)).decode()}).where(
        Bid.id == a["bid_id"]
    )
    await Bid.update({Bid.digest: "0" * 64}).where(Bid.id == b["bid_id"])
    await pass_deadline(tender_id)

    summary = await opening.open_tender(officer, tender_id)
    assert sorted(summary["digest_mismatches"]) == sorted([a["bid_id"], b["bid_id"]])
    assert summary["status"] == "failed"  # one valid bid left
    listed = {x["id"]: x for x in await bidding.bids(officer, tender_id)}
    mismatch = "the content does not match the digest on its receipt"
    assert listed[a["bid_id"]]["digest_ok"] is False
    assert listed[a["bid_id"]]["invalid_reasons"] == [mismatch]
    assert listed[a["bid_id"]]["price"] is None  # it does not even decrypt
    assert listed[b["bid_id"]]["digest_ok"] is False
    assert listed[b["bid_id"]]["invalid_reasons"] == [mismatch]
    assert listed[c["bid_id"]]["digest_ok"] is True and listed[c["bid_id"]]["eligible"]


async def test_compliance_review_can_fail_the_tender_at_closing(world):
    officer = world.principals["procurement"]
    tender_id = await published(world)
    bidders_ = [await bidder(world) for _ in range(3)]
    receipts = [
        await bid(b, tender_id, p)
        for b, p in zip(bidders_, ("700000.00", "710000.00", "720000.00"), strict=True)
    ]
    await pass_deadline(tender_id)
    await opening.open_tender(officer, tender_id)
    with pytest.raises(InvalidInput):  # non-compliance needs a written reason
        await opening.review_bid(officer, receipts[0]["bid_id"], False, "")
    await opening.review_bid(officer, receipts[0]["bid_id"], False, "未提供有效的服务方案承诺函")
    closed = await evaluation.close_evaluation(officer, tender_id)
    assert closed["status"] == "failed"
    row = await Tender.select().where(Tender.id == tender_id).first()
    assert read(row["closed_reason"]).startswith("2 bid(s) left after compliance review")


# --- vendor isolation ------------------------------------------------------------------------


async def test_a_vendor_never_sees_another_vendors_bid(world):
    officer = world.principals["procurement"]
    tender_id = await published(world)
    mine, theirs, third = [await bidder(world) for _ in range(3)]
    my_receipt = await bid(mine, tender_id, "701234.56", [proposal("MINE")])
    their_receipt = await bid(theirs, tender_id, "702345.67", [proposal("THEIRS")])
    await bid(third, tender_id, "703456.78")
    other_category = world.principals["vendor_b"]  # a security company

    async def check_isolation(opened: bool):
        listed = await bidding.bids(mine.principal, tender_id)
        assert [b["id"] for b in listed] == [my_receipt["bid_id"]]
        assert "702345.67" not in repr(listed) and "THEIRS" not in repr(listed)
        with pytest.raises(NotFound):
            await bidding.receipt(mine.principal, their_receipt["ref"])
        with pytest.raises(NotFound):
            await bidding.bid_file(mine.principal, their_receipt["bid_id"], 0)
        own = await bidding.receipt(mine.principal, my_receipt["ref"])
        assert own["digest"] == my_receipt["digest"]
        assert ("price" in own) is opened
        my_bids = (await bidding.my_bid_page(mine.principal)).items
        assert {b["ref"] for b in my_bids} == {my_receipt["ref"]}
        tender = await reading.get_tender(mine.principal, tender_id)
        assert tender["my_bid"]["ref"] == my_receipt["ref"] and "id" not in tender["my_bid"]
        assert "702345.67" not in repr(tender)
        with pytest.raises(NotFound):
            await reading.get_tender(other_category, tender_id)
        with pytest.raises(NotFound):
            await bidding.bids(other_category, tender_id)
        with pytest.raises(NotFound):
            await bidding.receipt(other_category, my_receipt["ref"])
        with pytest.raises(Conflict):  # its own result only once the evaluation closed
            await evaluation.results(mine.principal, tender_id)

    await check_isolation(opened=False)
    with pytest.raises(Forbidden):  # even its own file stays sealed until opening
        await bidding.bid_file(mine.principal, my_receipt["bid_id"], 0)
    # Staff see that bids exist, never their content, before the deadline.
    for role in ("procurement", "admin"):
        listed = await bidding.bids(world.principals[role], tender_id)
        assert len(listed) == 3 and all("price" not in b and "vendor" not in b for b in listed)
        with pytest.raises(Forbidden):
            await bidding.bid_file(world.principals[role], my_receipt["bid_id"], 0)
    reference = (await reading.get_tender(officer, tender_id))["reference"]
    assert (await reading.tender_page(other_category, q=reference)).total == 0

    await pass_deadline(tender_id)
    await opening.open_tender(officer, tender_id)
    await check_isolation(opened=True)
    own = await bidding.receipt(mine.principal, my_receipt["ref"])
    assert own["price"] == D("701234.56")
    _, data = await bidding.bid_file(mine.principal, my_receipt["bid_id"], 0)
    assert b"MINE" in data


async def test_sealed_columns_hold_no_price_or_file_content(world):
    tender_id = await published(world)
    who = await bidder(world)
    receipt = await bid(who, tender_id, "987654.32", [proposal("SEALED-MARKER-42")])
    row = await Bid.select().where(Bid.id == receipt["bid_id"]).first()
    assert row["price"] is None and row["digest_ok"] is None
    flat = json.dumps(row, default=str)
    assert "987654" not in flat and "SEALED-MARKER" not in flat
    tender = await Tender.select().where(Tender.id == tender_id).first()
    assert tender["released_key"] == ""


# --- the JSON API: bad input is a clear 4xx, never a 500 -------------------------------------


def tender_json(**overrides) -> dict:
    body = {
        "reference": unique("API"),
        "title": "食堂餐饮服务采购",
        "category": "cleaning",
        "method": "open",
        "evaluation_method": "comprehensive",
        "budget_ceiling": "1000000.00",
        "service_start": SERVICE_START.isoformat(),
        "service_end": SERVICE_END.isoformat(),
        "bid_deadline": (datetime.now(UTC) + timedelta(hours=2)).isoformat(),
        "qualification_types": [],
        "criteria": [
            {"key": "price", "name": "价格", "weight": "30"},
            {"key": "technical", "name": "技术", "weight": "70"},
        ],
        "sla_template": SLA,
    }
    body.update(overrides)
    return body


@pytest.mark.parametrize(
    "overrides",
    [
        {},  # the valid body, as a control
        {"criteria": [{"key": "price", "name": "价格", "weight": "30"}]},
        {
            "criteria": [
                {"key": "price", "name": "价格", "weight": "5"},
                {"key": "technical", "name": "技术", "weight": "95"},
            ]
        },
        {
            "criteria": [
                {"key": "price", "name": "价格", "weight": "NaN"},
                {"key": "technical", "name": "技术", "weight": "70"},
            ]
        },
        {"bid_deadline": (datetime.now(UTC) - timedelta(hours=1)).isoformat()},
        {"budget_ceiling": "NaN"},
        {"budget_ceiling": "Infinity"},
        {"budget_ceiling": "1e400"},
        {"budget_ceiling": "10000000000000"},  # more than the column holds
    ],
)
async def test_api_refuses_bad_tenders_with_422(api, overrides):
    body = tender_json(**overrides)
    async with api("procurement") as c:
        response = await c.post("/api/tenders", json=body)
    if not overrides:
        assert response.status_code == 201, response.text
        return
    assert response.status_code == 422, response.text
    assert not await Tender.exists().where(Tender.reference == body["reference"])


@pytest.mark.parametrize(
    "price", ["NaN", "Infinity", "1e400", "1e20", "0", "-5", "12.345", "abc", ""]
)
async def test_api_refuses_bad_bid_prices_with_422(world, api, price):
    tender_id = await published(world, qualification_types=[])
    async with api("vendor") as c:
        response = await c.post(f"/api/tenders/{tender_id}/bids", data={"price": price})
    assert response.status_code == 422, response.text
    assert not await Bid.exists().where(Bid.tender == tender_id)


async def test_api_refuses_bad_price_lines_with_422(world, api):
    tender_id = await published(world, qualification_types=[])
    async with api("vendor") as c:
        for lines in ('[["保洁", "NaN"]]', '[["保洁", "1e400"]]', "not json", '[["保洁", "1"]]'):
            response = await c.post(
                f"/api/tenders/{tender_id}/bids", data={"price": "100.00", "price_lines": lines}
            )
            assert response.status_code == 422, (lines, response.text)
    assert not await Bid.exists().where(Bid.tender == tender_id)


async def test_api_bid_life_cycle_and_bad_scores(world, api):
    """Through the API: a bid with a receipt, after the deadline 409, opening, and scores that
    are out of range or not numbers refused with 422."""
    tender_id = await published(world, qualification_types=[])
    others = [await bidder(world) for _ in range(2)]
    async with api("vendor") as c:
        response = await c.post(
            f"/api/tenders/{tender_id}/bids",
            data={"price": "810000.00"},
            files={"files": ("技术方案.pdf", proposal("API-BID").data, "application/pdf")},
        )
        assert response.status_code == 201, response.text
        receipt = response.json()
        assert len(receipt["digest"]) == 64 and receipt["received_at"]
        # The vendor knows its bid by an opaque reference, never the consecutive database id.
        assert "bid_id" not in receipt and re.fullmatch(r"[0-9a-f]{24}", receipt["ref"])
        ref = receipt["ref"]
        mine = (await Bid.select(Bid.id).where(Bid.ref == ref).first())["id"]
        response = await c.get(f"/api/bids/{ref}/receipt")
        assert response.status_code == 200 and response.json()["digest"] == receipt["digest"]
        assert "810000" not in response.text and "id" not in response.json()
        assert (await c.get(f"/api/bids/{mine}/receipt")).status_code == 404
        replaced = await c.post(f"/api/tenders/{tender_id}/bids", data={"price": "810000.00"})
        assert replaced.json()["replaces"] == [ref]
        ref = replaced.json()["ref"]
        mine = (await Bid.select(Bid.id).where(Bid.ref == ref).first())["id"]
        listed = (await c.get("/api/bids")).json()["items"]
        assert {b["ref"] for b in listed} >= {ref, receipt["ref"]}
        assert all("id" not in b for b in listed)
    for i, other in enumerate(others):
        await bid(other, tender_id, f"82{i}000.00")
    # The shared evaluator account sits as the purchaser representative, with four experts.
    await seat_panel(world, tender_id, 4, [world.principals["evaluator"]])
    async with api("procurement") as c:
        response = await c.post(f"/api/tenders/{tender_id}/open")
        assert response.status_code == 409, response.text  # before the deadline
    await pass_deadline(tender_id)
    async with api("vendor") as c:
        response = await c.post(f"/api/tenders/{tender_id}/bids", data={"price": "800000.00"})
        assert response.status_code == 409, response.text
    async with api("procurement") as c:
        response = await c.post(f"/api/tenders/{tender_id}/open")
        assert response.status_code == 200, response.text
    async with api("evaluator") as c:
        response = await c.post(
            f"/api/tenders/{tender_id}/scores",
            json={"scores": [{"bid_id": mine, "criterion": "technical", "score": "80"}]},
        )
        assert response.status_code == 403, response.text  # before declaring
        response = await c.post(f"/api/tenders/{tender_id}/declaration", json={"conflicts": []})
        assert response.status_code < 300, response.text
        for score in ("100.01", "-0.01", "NaN", "Infinity", "1e400", "sNaN"):
            response = await c.post(
                f"/api/tenders/{tender_id}/scores",
                json={"scores": [{"bid_id": mine, "criterion": "technical", "score": score}]},
            )
            assert response.status_code == 422, (score, response.text)
    assert await Score.count().where(Score.bid == mine) == 0


async def test_api_downloads_a_proposal_with_a_chinese_name_after_opening(world, api):
    tender_id = await published(world, qualification_types=[])
    async with api("vendor") as c:
        response = await c.post(
            f"/api/tenders/{tender_id}/bids",
            data={"price": "810000.00"},
            files={"files": ("技术方案.pdf", proposal("CN-NAME").data, "application/pdf")},
        )
        ref = response.json()["ref"]
    mine = (await Bid.select(Bid.id).where(Bid.ref == ref).first())["id"]
    await pass_deadline(tender_id)
    await opening.open_tender(world.principals["procurement"], tender_id)
    async with api("procurement") as c:
        response = await c.get(f"/api/bids/{mine}/files/0")
    assert response.status_code == 200
    assert b"CN-NAME" in response.content
    assert response.headers["content-disposition"] == (
        'attachment; filename="____.pdf"; '
        "filename*=UTF-8''%E6%8A%80%E6%9C%AF%E6%96%B9%E6%A1%88.pdf"
    )


async def test_reviews_close_once_the_panel_submits_and_replaced_bids_stay_sealed(world):
    officer = world.principals["procurement"]
    tender_id = await published(world)
    bidders_ = [await bidder(world) for _ in range(4)]
    replaced = await bid(bidders_[0], tender_id, "690000.00", [proposal("OLD-PROPOSAL")])
    receipts = [
        await bid(b, tender_id, p)
        for b, p in zip(bidders_, ("700000.00", "710000.00", "720000.00", "730000.00"), strict=True)
    ]
    await pass_deadline(tender_id)
    await opening.open_tender(officer, tender_id)
    last = receipts[3]["bid_id"]
    await opening.review_bid(officer, last, False, "缺少项目负责人资格证明")
    panel = await seat_panel(world, tender_id, 5)
    for p in panel:
        await scoring.declare(p, tender_id, [], "")
    scores = {r["bid_id"]: {"technical": ["80"] * 5, "service": ["75"] * 5} for r in receipts[:3]}
    await declare_and_score(tender_id, panel, scores)
    # Reinstating the bid now would leave it unscored by evaluators whose scores are final.
    with pytest.raises(Conflict, match="reviews are closed"):
        await opening.review_bid(officer, last, True, "补充材料已核验")
    assert (await evaluation.close_evaluation(officer, tender_id))["status"] == "evaluated"
    # The replaced submission was never opened: no file names, no file.
    listed = {b["id"]: b for b in await bidding.bids(officer, tender_id)}
    assert listed[replaced["bid_id"]]["state"] == "replaced"
    assert listed[replaced["bid_id"]]["files"] == []
    with pytest.raises(NotFound):
        await bidding.bid_file(officer, replaced["bid_id"], 0)


async def test_a_vendor_bidding_on_a_draft_is_told_it_does_not_exist(world):
    draft = await publication.create_tender(world.principals["procurement"], tender_input())
    with pytest.raises(NotFound):
        await bid(await bidder(world), draft, "800000.00")


async def test_vendors_see_no_bid_count_and_odd_tender_input_is_refused(world, api):
    tender_id = await published(world)
    await bid(await bidder(world), tender_id, "800000.00")
    someone = await bidder(world)
    assert "bids_received" not in await reading.get_tender(someone.principal, tender_id)
    reference = (await reading.get_tender(someone.principal, tender_id))["reference"]
    listed = (await reading.tender_page(someone.principal, q=reference)).items
    assert [t["id"] for t in listed] == [tender_id] and "bids_received" not in listed[0]
    for overrides, field in (
        ({"title": "保洁" * 101}, "title"),
        ({"service_end": date(9999, 12, 31)}, "service_end"),
        (
            {"criteria": [Criterion("price", "价格", D(30)), Criterion("k" * 41, "技术", D(70))]},
            "criteria[1].key",
        ),
        ({"sla_template": {"clauses": [1]}}, "sla_template"),
    ):
        with pytest.raises(InvalidInput) as refused:
            await publication.create_tender(
                world.principals["procurement"], tender_input(**overrides)
            )
        assert field in {e.field for e in refused.value.errors}, refused.value.errors


@pytest.mark.parametrize("status", ["\x00", "published\x00", "nonsense"])
async def test_an_unknown_status_filter_is_refused_naming_the_field(world, api, login, status):
    """A NUL byte reached PostgreSQL and answered 500; no status filter is free text."""
    async with api("procurement") as c:
        response = await c.get("/api/tenders", params={"status": status})
    assert response.status_code == 422, response.text
    # A NUL byte is refused before any handler runs (web/input.py), for pages too.
    rule = "no_nul" if "\x00" in status else "choice"
    assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [("status", rule)]
    with pytest.raises(InvalidInput):
        await reading.tender_page(world.principals["vendor"], status=status)
    async with login("procurement") as c:  # otherwise the page shows every tender instead
        page = await c.get("/tenders/", params={"status": status})
        assert page.status_code == (422 if "\x00" in status else 200)


async def test_a_vendors_bids_come_in_pages_newest_first(world, app):
    b = await bidder(world)
    tenders = [await published(world, reference=unique("ZB-PAGE")) for _ in range(3)]
    refs = [(await bid(b, tender_id, "800000.00"))["ref"] for tender_id in tenders]
    token = (await accounts.create_token(b.principal, "tests"))[1]
    async with http_client(app) as c:
        c.headers["Authorization"] = f"Bearer {token}"
        first = (await c.get("/api/bids?page_size=2")).json()
        assert first["total"] == 3 and [x["ref"] for x in first["items"]] == refs[:0:-1]
        second = (await c.get("/api/bids?page_size=2&page=2")).json()
        assert [x["ref"] for x in second["items"]] == refs[:1]
        oldest = (await c.get("/api/bids?sort=received_at")).json()
        assert [x["ref"] for x in oldest["items"]] == refs
        assert (await c.get("/api/bids?sort=price")).status_code == 422  # not a sort of this list
    async with http_client(app) as c:
        assert (await log_in(c, b.principal.username)).status_code in (302, 303)
        page = await c.get("/tenders/bids?page_size=2")
        assert page.status_code == 200
        assert page.text.count("/receipt") == 2 and 'rel="next"' in page.text
