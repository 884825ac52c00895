"""Contracts through the API, pages and service (domain rules §4–§7), on realistic data."""

import io
import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from jsonschema import Draft4Validator
from pypdf import PdfReader
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from tests.conftest import csrf_token, in_chinese, new_vendor, unique
from vendorgov.contracts import drafting, rules, service
from vendorgov.contracts.tables import ContractVersion
from vendorgov.errors import Conflict

# A copy of ../shared/ocds/release-schema.json, so a checkout anywhere validates offline.
OCDS = Path(__file__).resolve().parents[1] / "data" / "ocds"
PROBLEM = "application/problem+json"

CLAUSES_V1 = [
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
    {
        "code": "SLA-3",
        "name": "有效投诉次数",
        "kind": "complaint_count",
        "target": "2",
        "minimum": "6",
        "weight": "1",
    },
]


def terms_v1(effective="2026-01-01", **overrides):
    terms = {
        "effective_from": effective,
        "monthly_fee": "128000.00",
        "clauses": CLAUSES_V1,
        "penalties": [{"trigger": "critical_finding", "amount": "2000"}],
        "terms_text": "乙方按附件一提供服务。\n甲方按月考核。",
    }
    terms.update(overrides)
    return terms


async def create(c, world, vendor_role="vendor", **terms_overrides) -> int:
    vendor_id = world.vendor_a if vendor_role == "vendor" else await new_vendor(world)
    response = await c.post(
        "/api/contracts",
        json={
            "number": unique("HT"),
            "title": "保洁服务外包合同",
            "vendor_id": vendor_id,
            "category": "cleaning",
            "start_date": "2026-01-01",
            "end_date": "2027-12-31",
            "monthly_fee": "128000.00",
            "terms": terms_v1(**terms_overrides),
        },
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def signed_with_amendment(c, world, effective="2026-06-16") -> int:
    contract_id = await create(c, world)
    assert (await c.post(f"/api/contracts/{contract_id}/versions/1/sign")).status_code == 200
    amended = await c.post(
        f"/api/contracts/{contract_id}/amendments",
        json={"reason": "年度调价及考核调整", "effective_from": effective},
    )
    assert amended.status_code == 201, amended.text
    v2 = terms_v1(
        effective,
        monthly_fee="131840.00",
        deduction_cap_percent="10",
        scheme={"sla": "45", "inspection": "25", "satisfaction": "20", "audit": "10"},
        terms_text="乙方按附件一提供服务。\n甲方按月考核，结果用于支付。",
    )
    v2["clauses"] = [
        dict(CLAUSES_V1[0], target="97"),
        CLAUSES_V1[1],
        {
            "code": "SLA-4",
            "name": "维修4小时内完成",
            "kind": "resolution_within",
            "target": "90",
            "minimum": "70",
            "weight": "1",
            "threshold_minutes": 240,
        },
    ]
    saved = await c.put(f"/api/contracts/{contract_id}/versions/2", json={**v2, "revision": 1})
    assert saved.status_code == 200, saved.text
    assert (await c.post(f"/api/contracts/{contract_id}/versions/2/sign")).status_code == 200
    return contract_id


async def test_version_in_force_on_boundary_dates(api, world):
    async with api("procurement") as c:
        contract_id = await signed_with_amendment(c, world, "2026-06-16")
        answers = {}
        for day in ("2025-12-31", "2026-01-01", "2026-06-15", "2026-06-16", "2026-06-17"):
            response = await c.get(f"/api/contracts/{contract_id}/in-force", params={"on": day})
            answers[day] = response.json()["number"] if response.json() else None
    assert answers == {
        "2025-12-31": None,
        "2026-01-01": 1,
        "2026-06-15": 1,
        "2026-06-16": 2,
        "2026-06-17": 2,
    }
    in_force = await service.version_in_force(contract_id, date(2026, 6, 15))
    assert in_force.terms.monthly_fee == Decimal("128000.00")
    assert (await service.version_in_force(contract_id, date(2026, 6, 16))).terms.clauses[
        0
    ].target == Decimal(97)


async def test_signed_versions_are_immutable_through_every_route_and_the_service(api, login, world):
    async with api("procurement") as c:
        contract_id = await create(c, world)
        await c.post(f"/api/contracts/{contract_id}/versions/1/sign")
        stored = await ContractVersion.select().where(ContractVersion.contract == contract_id)
        put = await c.put(
            f"/api/contracts/{contract_id}/versions/1",
            json={**terms_v1(monthly_fee="1.00"), "revision": 1},
        )
        assert put.status_code == 409 and "signed" in put.json()["detail"]
        again = await c.post(f"/api/contracts/{contract_id}/versions/1/sign")
        assert again.status_code == 409
    async with login("procurement") as c:
        page = await c.get(f"/contracts/{contract_id}/versions/1")
        assert "Save draft" not in page.text
        token = await csrf_token(c, f"/contracts/{contract_id}")
        posted = await c.post(
            f"/contracts/{contract_id}/versions/1",
            data={
                "_csrf_token": token,
                "effective_from": "2026-01-01",
                "monthly_fee": "1.00",
                "clause_rows": "0",
                "penalty_rows": "0",
                "band_rows": "0",
            },
        )
        assert posted.status_code == 409
        discard = await c.post(
            f"/contracts/{contract_id}/versions/1/discard", data={"_csrf_token": token}
        )
        assert discard.status_code == 409
    version_id = stored[0]["id"]
    officer = world.principals["procurement"]
    with pytest.raises(Conflict):
        await drafting.update_draft(
            officer, version_id, rules.terms_from(terms_v1(monthly_fee="1.00")), None
        )
    with pytest.raises(Conflict):
        await drafting.discard_draft(officer, version_id)
    assert await ContractVersion.select().where(ContractVersion.contract == contract_id) == stored


async def test_diff_of_a_realistic_amendment(api, world):
    async with api("finance") as reader, api("procurement") as c:
        contract_id = await signed_with_amendment(c, world)
        body = (
            await reader.get(f"/api/contracts/{contract_id}/compare", params={"a": 1, "b": 2})
        ).json()
    assert {(g["field"], str(g["before"]), str(g["after"])) for g in body["general"]} == {
        ("effective_from", "2026-01-01", "2026-06-16"),
        ("monthly_fee", "128000.00", "131840.00"),
        ("deduction_cap_percent", "None", "10"),
    }
    assert body["clauses_added"] == ["SLA-4"] and body["clauses_removed"] == ["SLA-3"]
    assert [
        (c["code"], [(ch["field"], ch["before"], ch["after"]) for ch in c["changes"]])
        for c in body["clauses_changed"]
    ] == [("SLA-1", [("target", "95", "97")])]
    assert {(s["field"], s["before"], s["after"]) for s in body["scheme"]} == {
        ("sla", "40", "45"),
        ("inspection", "30", "25"),
    }
    assert body["penalties"] == [] and body["bands"] == [] and body["deadlines"] == []
    assert body["terms_text"] == [
        "@@ -1,2 +1,2 @@",
        " 乙方按附件一提供服务。",
        "-甲方按月考核。",
        "+甲方按月考核，结果用于支付。",
    ]
    assert "clause SLA-1 target: 95 → 97" in body["summary"]


async def test_concurrent_edit_of_a_draft_gets_409_with_what_changed(api, world):
    async with api("procurement") as first, api("admin") as second:
        contract_id = await create(first, world)
        url = f"/api/contracts/{contract_id}/versions/1"
        mine = await first.put(url, json={**terms_v1(monthly_fee="129500.00"), "revision": 1})
        assert mine.json()["revision"] == 2
        theirs = await second.put(
            url, json={**terms_v1(terms_text="另一位采购专员的修改"), "revision": 1}
        )
        assert theirs.status_code == 409
        assert "Monthly fee: ¥128,000.00 → ¥129,500.00" in theirs.json()["detail"]
        detail = (await first.get(f"/api/contracts/{contract_id}")).json()
    kept = detail["versions"][0]
    assert kept["revision"] == 2 and kept["terms"]["monthly_fee"] == "129500.00"
    assert kept["terms"]["terms_text"] == terms_v1()["terms_text"]


async def test_vendors_see_only_their_own_contracts(api, world):
    async with api("procurement") as c:
        own = await create(c, world)  # vendor_a's
        other = await create(c, world, vendor_role="other")
    async with api("vendor") as c:
        listed = await c.get("/api/contracts", params={"page_size": 200})
        listed = {x["id"] for x in listed.json()["items"]}
        assert own in listed and other not in listed
        for path in (
            "",
            "/in-force",
            "/compare?a=1&b=1",
            "/versions/1/document.pdf",
            "/ocds",
            "/history",
        ):
            response = await c.get(f"/api/contracts/{other}{path}")
            assert response.status_code == 404, path
        assert (await c.get(f"/api/contracts/{own}")).status_code == 200
    async with api("evaluator") as c:
        assert (await c.get(f"/api/contracts/{own}")).status_code == 403
    async with api("auditor") as c:  # not assigned to it: no such contract for the auditor
        assert (await c.get(f"/api/contracts/{own}")).status_code == 404
    for role in ("supervisor", "finance"):
        async with api(role) as c:
            assert (await c.get(f"/api/contracts/{own}")).status_code == 200
            refused = await c.post(f"/api/contracts/{own}/versions/1/sign")
            assert refused.status_code == 403


async def test_contract_pdf_has_number_clauses_and_chinese(api, world):
    async with api("procurement") as c:
        contract_id = await create(c, world)
        number = (await c.get(f"/api/contracts/{contract_id}")).json()["number"]
        with in_chinese(c):
            pdf = await c.get(f"/api/contracts/{contract_id}/versions/1/document.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    flat = text.replace("\n", "")
    assert number in flat
    for clause in CLAUSES_V1:
        assert clause["name"] in flat, clause["name"]
    assert "服务水平协议" in flat and "后勤服务外包合同" in flat and "128,000.00" in flat


async def test_ocds_release_with_an_amendment_validates(api, world):
    async with api("procurement") as c:
        contract_id = await signed_with_amendment(c, world)
        release = (await c.get(f"/api/contracts/{contract_id}/ocds")).json()
    schema = json.loads((OCDS / "release-schema.json").read_text())
    errors = [
        e.message
        for e in Draft4Validator(schema, format_checker=Draft4Validator.FORMAT_CHECKER).iter_errors(
            release
        )
    ]
    assert errors == []
    assert release["tag"] == ["contract", "contractAmendment"]
    (contract,) = release["contracts"]
    (amendment,) = contract["amendments"]
    assert amendment["rationale"] == "年度调价及考核调整"
    assert isinstance(contract["value"]["amount"], (int, float))
    assert contract["value"]["amount"] == 131840 * 24
    package_schema = json.loads((OCDS / "release-package-schema.json").read_text())
    registry = Registry().with_resource(schema["id"], Resource(schema, DRAFT4))
    package = {
        "uri": "https://hospital.example/ocds/1.json",
        "version": "1.1",
        "publishedDate": release["date"],
        "publisher": {"name": "示范医院"},
        "releases": [release],
    }
    assert list(Draft4Validator(package_schema, registry=registry).iter_errors(package)) == []


@pytest.mark.parametrize(
    "overrides,field,rule",
    [
        ({"clauses": [dict(CLAUSES_V1[0], weight="0")]}, "clauses[0].weight", "positive"),
        (
            {"clauses": [dict(CLAUSES_V1[0], target="70")]},
            "clauses[0].target",
            "target_better_than_minimum",
        ),
        (
            {"clauses": [dict(CLAUSES_V1[2], target="8")]},
            "clauses[0].target",
            "target_better_than_minimum",
        ),
        (
            {"clauses": [dict(CLAUSES_V1[0], threshold_minutes=None)]},
            "clauses[0].threshold_minutes",
            "required",
        ),
        (
            {"scheme": {"sla": "50", "inspection": "30", "satisfaction": "20", "audit": "10"}},
            "scheme",
            "sum_100",
        ),
        (
            {
                "bands": [
                    {"grade": "A", "min_score": "80", "pay_percent": "100"},
                    {"grade": "B", "min_score": "90", "pay_percent": "95"},
                    {"grade": "D", "min_score": "0", "pay_percent": "90"},
                ]
            },
            "bands",
            "descending",
        ),
        (
            {
                "bands": [
                    {"grade": "A", "min_score": "95", "pay_percent": "100"},
                    {"grade": "B", "min_score": "10", "pay_percent": "95"},
                ]
            },
            "bands",
            "cover_0_100",
        ),
        ({"monthly_fee": "0"}, "monthly_fee", "positive"),
        ({"monthly_fee": "100.005"}, "monthly_fee", "cents"),
    ],
)
async def test_bad_terms_are_refused_and_nothing_changes(api, world, overrides, field, rule):
    async with api("procurement") as c:
        contract_id = await create(c, world)
        before = (await c.get(f"/api/contracts/{contract_id}")).json()["versions"]
        response = await c.put(
            f"/api/contracts/{contract_id}/versions/1",
            json={**terms_v1(**overrides), "revision": 1},
        )
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith(PROBLEM)
        assert (field, rule) in {(e["field"], e["rule"]) for e in response.json()["errors"]}
        assert (await c.get(f"/api/contracts/{contract_id}")).json()["versions"] == before


async def test_contract_level_bad_input(api, world):
    async with api("procurement") as c:
        base = {
            "number": unique("HT"),
            "title": "合同",
            "vendor_id": world.vendor_a,
            "category": "cleaning",
            "start_date": "2026-01-01",
            "end_date": "2027-12-31",
            "monthly_fee": "1000.00",
        }
        backwards = await c.post("/api/contracts", json={**base, "end_date": "2025-12-31"})
        assert ("end_date", "after_start") in {
            (e["field"], e["rule"]) for e in backwards.json()["errors"]
        }
        wrong_service = await c.post("/api/contracts", json={**base, "category": "elevator"})
        assert wrong_service.status_code == 422
        assert wrong_service.json()["errors"][0]["rule"] == "vendor_category"
        assert (await c.post("/api/contracts", json=base)).status_code == 201
        duplicate = await c.post("/api/contracts", json=base)
        assert duplicate.status_code == 409
        contract_id = await create(c, world)
        await c.post(f"/api/contracts/{contract_id}/versions/1/sign")
        short = await c.post(f"/api/contracts/{contract_id}/amendments", json={"reason": "调"})
        assert short.status_code == 422
        overlap = await c.post(
            f"/api/contracts/{contract_id}/amendments",
            json={"reason": "提前生效的补充协议", "effective_from": "2026-01-01"},
        )
        assert overlap.status_code == 201
        sign = await c.post(f"/api/contracts/{contract_id}/versions/2/sign")
        assert sign.status_code == 422 and sign.json()["errors"][0]["rule"] == "no_overlap"
        second = await c.post(
            f"/api/contracts/{contract_id}/amendments", json={"reason": "再一份补充协议"}
        )
        assert second.status_code == 409
        assert (await c.get("/api/contracts/987654")).status_code == 404


async def test_expiry_notice_and_flagged_vendor_lists(api, world):
    today = date.today()
    async with api("procurement") as c:
        vendor_id = await new_vendor(world, categories=["laundry"])
        response = await c.post(
            "/api/contracts",
            json={
                "number": unique("HT-EXP"),
                "title": "洗涤服务合同",
                "vendor_id": vendor_id,
                "category": "laundry",
                "start_date": str(today - timedelta(days=300)),
                "end_date": str(today + timedelta(days=30)),
                "monthly_fee": "58600.00",
            },
        )
        contract_id = response.json()["id"]
        await c.post(f"/api/contracts/{contract_id}/versions/1/sign")
        expiring = await c.get(
            "/api/contracts", params={"expiring": "true", "vendor_id": vendor_id}
        )
        expiring = {x["id"] for x in expiring.json()["items"]}
        assert contract_id in expiring
        await c.post(
            f"/api/vendors/{vendor_id}/status",
            json={"action": "blacklist", "reason": "伪造洗涤消毒记录"},
        )
        flagged = await c.get("/api/contracts", params={"flagged": "true", "vendor_id": vendor_id})
        flagged = flagged.json()["items"]
    assert contract_id in {x["id"] for x in flagged}
    assert all(x["vendor_flagged"] for x in flagged)


async def test_draft_edit_page_shows_errors_by_field_and_keeps_input(login, api, world):
    async with api("procurement") as c:
        contract_id = await create(c, world)
    async with login("procurement") as c:
        token = await csrf_token(c, f"/contracts/{contract_id}/versions/1")
        page = await c.post(
            f"/contracts/{contract_id}/versions/1",
            data={
                "_csrf_token": token,
                "revision": "1",
                "effective_from": "2026-01-01",
                "monthly_fee": "128000.00",
                "clause_rows": "1",
                "penalty_rows": "0",
                "band_rows": "0",
                "clauses-0-code": "SLA-9",
                "clauses-0-name": "响应",
                "clauses-0-kind": "response_within",
                "clauses-0-threshold_minutes": "30",
                "clauses-0-target": "60",
                "clauses-0-minimum": "80",
                "clauses-0-weight": "1",
                "scheme-sla": "40",
                "scheme-inspection": "30",
                "scheme-satisfaction": "20",
                "scheme-audit": "10",
                "deadlines-critical": "24",
                "deadlines-major": "72",
                "deadlines-minor": "168",
            },
        )
        assert page.status_code == 422
        assert "the target must be above the minimum" in page.text
        assert 'value="SLA-9"' in page.text and 'value="60"' in page.text
    async with login("supervisor") as c:
        assert (await c.get(f"/contracts/{contract_id}")).status_code == 200
        assert (await c.get("/contracts/new")).status_code == 403


async def test_who_signed_is_shown_by_name_not_login(api, login, world):
    """Signatures, history and the printed contract name the person (display name), never
    the username the record keeps."""
    async with api("procurement") as c:
        contract_id = await create(c, world)
        assert (await c.post(f"/api/contracts/{contract_id}/versions/1/sign")).status_code == 200
        with in_chinese(c):
            pdf = await c.get(f"/api/contracts/{contract_id}/versions/1/document.pdf")
    async with login("procurement") as c:
        detail = await c.get(f"/contracts/{contract_id}")
        version = await c.get(f"/contracts/{contract_id}/versions/1")
    for page in (detail.text, version.text):
        assert "Test procurement" in page
        assert "t.procurement" not in page
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Testprocurement" in text.replace(" ", "") and "t.procurement" not in text
