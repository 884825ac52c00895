"""A tender's publications: the OCDS release at each stage (validated against the OCDS 1.1
schema, never naming a bidder before opening), the evaluation report PDF and the scoring
matrix exports, all from one tender run to award through the API."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import pandas as pd
import pytest
from pypdf import PdfReader

from tests.conftest import PASSWORD, http_client, in_chinese, new_vendor, unique
from vendorgov.accounts import service as accounts
from vendorgov.tenders.tables import Tender

OCDS = Path(__file__).resolve().parents[1] / "data" / "ocds"
PRICES = ("1188000.00", "1250000.00", "1199000.00")
DISSENT = "本人认为投标人二的人员配置方案证明材料不足，评分应予下调。"
# Five evaluators' scores per bid for "service" (weight 40) and "staffing" (weight 30).
SCORES = {
    0: ({"service": 90, "staffing": 80}, {"service": 88, "staffing": 82}),
    1: ({"service": 95, "staffing": 90}, {"service": 93, "staffing": 92}),
    2: ({"service": 80, "staffing": 70}, {"service": 84, "staffing": 74}),
}


def _validator() -> jsonschema.Draft4Validator:
    schema = json.loads((OCDS / "release-schema.json").read_text())
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


def _assert_valid(release: dict) -> None:
    errors = sorted(_validator().iter_errors(release), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]


async def _account(world, role: str, vendor_id: int | None = None):
    username = unique(f"t.{role}")
    user_id = await accounts.create_account(
        world.principals["admin"],
        username=username,
        password=PASSWORD,
        role=role,
        display_name=f"{role} {username[-4:]}",
        vendor_id=vendor_id,
    )
    principal = await accounts.principal_for_user(user_id)
    token = (await accounts.create_token(principal, "tests"))[1]
    return user_id, token


def _client(app, token: str):
    c = http_client(app)
    c.headers["Authorization"] = f"Bearer {token}"
    return c


def _tender_body(reference: str) -> dict:
    deadline = datetime.now(UTC) + timedelta(hours=2)
    return {
        "reference": reference,
        "title": "住院楼保洁服务采购",
        "category": "cleaning",
        "method": "open",
        "evaluation_method": "comprehensive",
        "budget_ceiling": "1260000.00",
        "service_start": "2027-01-01",
        "service_end": "2027-12-31",
        "bid_deadline": deadline.isoformat(),
        "scope": "住院楼 1–12 层日常保洁",
        "criteria": [
            {"key": "price", "name": "价格", "weight": "30"},
            {"key": "service", "name": "服务方案", "weight": "40"},
            {"key": "staffing", "name": "人员配置", "weight": "30"},
        ],
        "sla_template": {
            "clauses": [
                {
                    "code": "CLN-RESP",
                    "name": "保洁呼叫响应",
                    "kind": "response_within",
                    "target": "95",
                    "minimum": "90",
                    "weight": "100",
                    "threshold_minutes": 30,
                }
            ]
        },
    }


@pytest.fixture(scope="module")
async def awarded(app, world):
    """A tender run to award; yields what the assertions need at each stage."""
    reference = unique("ZB")
    vendors_ = [world.vendor_a] + [
        await new_vendor(world, name=unique("保洁公司")) for _ in range(2)
    ]
    tokens = [world.tokens["vendor"]] + [
        (await _account(world, "vendor", v))[1] for v in vendors_[1:]
    ]
    evaluators = [await _account(world, "evaluator") for _ in range(5)]
    stages: dict[str, dict] = {}
    async with _client(app, world.tokens["procurement"]) as officer:
        created = await officer.post("/api/tenders", json=_tender_body(reference))
        assert created.status_code == 201, created.text
        tender_id = created.json()["id"]
        stages["draft"] = (await officer.get(f"/api/tenders/{tender_id}/ocds")).json()
        assert (await officer.post(f"/api/tenders/{tender_id}/publish")).status_code == 200
        for token, price in zip(tokens, PRICES, strict=True):
            async with _client(app, token) as vendor:
                bid = await vendor.post(
                    f"/api/tenders/{tender_id}/bids",
                    data={"price": price},
                    files={"files": ("技术方案.pdf", b"%PDF-1.4 proposal\n%%EOF\n")},
                )
                assert bid.status_code == 201, bid.text
        stages["published"] = (await officer.get(f"/api/tenders/{tender_id}/ocds")).json()
        await Tender.update({Tender.bid_deadline: datetime.now(UTC)}).where(Tender.id == tender_id)
        opened = await officer.post(f"/api/tenders/{tender_id}/open")
        assert opened.json()["valid"] == 3, opened.text
        stages["opened"] = (await officer.get(f"/api/tenders/{tender_id}/ocds")).json()
        # §3's panel: a purchaser representative appointed, four experts drawn from the pool
        # (whoever else the cleaning pool holds may be drawn too: each gets a token).
        representative, *experts = evaluators
        panel = await officer.post(
            f"/api/tenders/{tender_id}/panel", json={"evaluator_ids": [representative[0]]}
        )
        assert panel.status_code == 200, panel.text
        for user_id, _ in experts:
            added = await officer.post(
                "/api/expert-pool", json={"category": "cleaning", "evaluator_id": user_id}
            )
            assert added.status_code == 200, added.text
        drawn = await officer.post(f"/api/tenders/{tender_id}/draws", json={"count": 4})
        assert drawn.status_code == 200, drawn.text
        tokens_by_id = dict(evaluators)
        evaluators = [representative]
        for user_id in drawn.json()["drawn"]:
            if user_id not in tokens_by_id:
                principal = await accounts.principal_for_user(user_id)
                tokens_by_id[user_id] = (await accounts.create_token(principal, "tests"))[1]
            evaluators.append((user_id, tokens_by_id[user_id]))
        bids = (await officer.get(f"/api/tenders/{tender_id}/bids")).json()
        bid_ids = [b["id"] for b in sorted(bids, key=lambda b: b["received_at"])]
        for n, (_, token) in enumerate(evaluators):
            async with _client(app, token) as evaluator:
                declared = await evaluator.post(
                    f"/api/tenders/{tender_id}/declaration", json={"conflicts": []}
                )
                assert declared.status_code == 200, declared.text
                scores = [
                    {"bid_id": bid_ids[i], "criterion": key, "score": str(value)}
                    for i, pair in SCORES.items()
                    for key, value in pair[n % 2].items()
                ]
                body = {"scores": scores, "submit": True}
                if n == 1:  # the first expert drawn hands in a dissenting opinion
                    body["dissent"] = DISSENT
                sent = await evaluator.post(f"/api/tenders/{tender_id}/scores", json=body)
                assert sent.status_code == 200, sent.text
        closed = await officer.post(f"/api/tenders/{tender_id}/close")
        assert closed.status_code == 200, closed.text
        results = (await officer.get(f"/api/tenders/{tender_id}/results")).json()
        first = results["candidates"][0]
        award = await officer.post(f"/api/tenders/{tender_id}/award", json={"bid_id": first["id"]})
        assert award.status_code == 201, award.text
        stages["awarded"] = (await officer.get(f"/api/tenders/{tender_id}/ocds")).json()
        yield {
            "id": tender_id,
            "reference": reference,
            "stages": stages,
            "results": results,
            "contract_id": award.json()["id"],
        }


async def test_ocds_release_validates_at_every_stage_and_names_bidders_only_after_opening(
    awarded,
):
    stages = awarded["stages"]
    for release in stages.values():
        _assert_valid(release)
        assert release["ocid"].endswith(awarded["reference"])
    assert stages["draft"]["tender"]["status"] == "planning"
    assert stages["published"]["tender"]["status"] == "active"
    for stage in ("draft", "published"):
        text = json.dumps(stages[stage], ensure_ascii=False)
        assert "tenderers" not in stages[stage]["tender"]
        assert all(p not in text for p in ("1188000", "1199000", "1250000"))
    assert stages["opened"]["tender"]["numberOfTenderers"] == 3
    final = stages["awarded"]
    assert final["tag"] == ["tender", "award"]
    assert final["tender"]["status"] == "complete"
    assert final["tender"]["awardCriteria"] == "ratedCriteria"
    # Bid 2 ranked first (see the report test) and was awarded.
    assert final["awards"][0]["value"] == {"amount": 1250000.0, "currency": "CNY"}
    supplier = final["awards"][0]["suppliers"][0]["id"]
    roles = {p["id"]: p["roles"] for p in final["parties"]}
    assert roles[supplier] == ["tenderer", "supplier"]


async def test_evaluation_report_and_matrix_carry_the_numbers_of_the_award(api, awarded):
    tender_id = awarded["id"]
    ranked = awarded["results"]["ranked"]
    # Hand computation, bid 3 (1,199,000): price score 1,188,000 / 1,199,000 × 100 = 99.0825…;
    # service mean (80+84+80+84+80)/5 = 81.6, staffing (70+74+70+74+70)/5 = 71.6 — hence
    # total 0.3 × 99.08257 + 0.4 × 81.6 + 0.3 × 71.6 = 29.72477 + 32.64 + 21.48 = 83.84477 → 83.84.
    # Bid 2 (1,250,000): 95.04 × 0.3 + 0.4 × 94.2 + 0.3 × 90.8 = 28.512 + 37.68 + 27.24 = 93.43.
    # Bid 1 (1,188,000): 30 + 0.4 × 89.2 + 0.3 × 80.8 = 30 + 35.68 + 24.24 = 89.92.
    assert [(b["price"], b["total"], b["rank"], b["candidate"]) for b in ranked] == [
        ("1250000.00", "93.43", 1, 1),
        ("1188000.00", "89.92", 2, 2),
        ("1199000.00", "83.84", 3, 3),
    ]
    async with api("procurement") as officer:
        pdf = await officer.get(f"/api/tenders/{tender_id}/report.pdf")
        assert pdf.status_code == 200
        assert pdf.headers["content-type"] == "application/pdf"
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
        assert awarded["reference"] in text
        # The panel: each member by name (never the login name) with role and signature line,
        # the dissent as handed in; no database id.
        members = (await officer.get(f"/api/tenders/{tender_id}/panel")).json()
        assert len(members) == 5
        with in_chinese(officer):
            chinese = await officer.get(f"/api/tenders/{tender_id}/report.pdf")
        zh = "".join(p.extract_text() for p in PdfReader(io.BytesIO(chinese.content)).pages)
        flat = zh.replace("\n", "")
        for m in members:
            assert m["display_name"] in flat, m["display_name"]
            assert m["username"] not in flat, m["username"]
        # One representative (and the buyer's own signature block), four experts.
        assert zh.count("采购人代表") == 2 and zh.count("评审专家") >= 4
        assert zh.count("签字：________ 日期：______") == 5
        assert DISSENT in flat
        assert "投标编号" not in zh
        for number in ("93.43", "89.92", "83.84", "1,250,000.00", "99.08"):
            assert number in text, number
        assert ranked[0]["digest"] in text.replace("\n", "")
        xlsx = await officer.get(f"/api/tenders/{tender_id}/matrix/xlsx")
        assert xlsx.status_code == 200
        sheets = pd.read_excel(io.BytesIO(xlsx.content), sheet_name=None)
        assert len(sheets["scores"]) == 5 * 3
        # Headers in the caller's language (English here), criteria by their names.
        results = sheets["results"].sort_values("Rank")
        assert list(results["Total score"]) == [93.43, 89.92, 83.84]
        assert list(results["Candidate"]) == [1, 2, 3]
        csv = await officer.get(f"/api/tenders/{tender_id}/matrix/csv")
        frame = pd.read_csv(io.BytesIO(csv.content), encoding="utf-8-sig")
        assert sorted(frame["服务方案"].unique()) == [80, 84, 88, 90, 93, 95]
        chinese = await officer.get(
            f"/api/tenders/{tender_id}/matrix/csv", headers={"Accept-Language": "zh-CN"}
        )
        header = chinese.content.decode("utf-8-sig").splitlines()[0]
        assert header.startswith("评标专家,投标编号,服务商,服务方案")
        assert (await officer.get(f"/api/tenders/{tender_id}/matrix/pdf")).status_code == 422


async def test_report_and_exports_are_refused_before_the_evaluation_closes(api):
    async with api("procurement") as officer:
        created = await officer.post("/api/tenders", json=_tender_body(unique("ZB")))
        tender_id = created.json()["id"]
        for path in ("report.pdf", "matrix/xlsx", "matrix/csv"):
            response = await officer.get(f"/api/tenders/{tender_id}/{path}")
            assert response.status_code == 409, (path, response.text)
    async with api("finance") as finance:
        assert (await finance.get(f"/api/tenders/{tender_id}/ocds")).status_code == 403


async def test_the_award_names_its_winner_links_both_ways_and_tells_the_other_bidders(
    login, awarded
):
    tender_id, contract_id = awarded["id"], awarded["contract_id"]
    async with login("procurement") as officer:
        page = (await officer.get(f"/tenders/{tender_id}")).text
        assert "Awarded to" in page and "¥1,250,000.00" in page and "(rank 1)" in page
        assert f'href="/contracts/{contract_id}"' in page
        contract = (await officer.get(f"/contracts/{contract_id}")).text
        assert f'href="/tenders/{tender_id}"' in contract
    async with login("vendor") as loser:  # bid 1,188,000.00, ranked second
        page = (await loser.get(f"/tenders/{tender_id}")).text
        assert "awarded to another bidder" in page and "1,250,000" not in page
