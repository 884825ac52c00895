"""Small and micro enterprises (§3a): vendors declare their size with evidence; a tender states
its price deduction (10–20%, default 10); at opening each bid keeps its vendor's declaration;
the price score uses the deducted price, the bid and the contract keep the offered one, and
results and report show both side by side. Computed by hand."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

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
from vendorgov.audit.tables import AuditEntry
from vendorgov.contracts import service as contracts
from vendorgov.errors import InvalidInput, NotFound
from vendorgov.tenders import awarding, evaluation, opening, publication, scoring
from vendorgov.tenders.tables import Bid, Tender
from vendorgov.vendors import service as vendors
from vendorgov.vendors import sme
from vendorgov.vendors.tables import Vendor

D = Decimal
EVIDENCE = "从业人员45人，上年度营业收入1800万元，附中小企业声明函"


async def test_a_vendor_declares_its_size_with_evidence(world, app, api, login):
    x = await bidder(world)
    y = await bidder(world)
    async with as_user(app, x.principal) as client:
        path = f"/api/vendors/{x.vendor_id}/sme"
        response = await client.post(path, json={"sme_size": "small", "evidence": "小"})
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "sme_evidence"
        response = await client.post(path, json={"sme_size": "huge", "evidence": EVIDENCE})
        assert response.status_code == 422
        response = await client.post(path, json={"sme_size": "small", "evidence": EVIDENCE})
        assert response.status_code == 200 and response.json()["changed"] is True
        again = await client.post(path, json={"sme_size": "small", "evidence": EVIDENCE})
        assert again.json()["changed"] is False
        detail = (await client.get(f"/api/vendors/{x.vendor_id}")).json()
        assert (detail["sme_size"], detail["sme_evidence"]) == ("small", EVIDENCE)
        # Another vendor's declaration does not exist for it.
        other = await client.post(
            f"/api/vendors/{y.vendor_id}/sme", json={"sme_size": "micro", "evidence": EVIDENCE}
        )
        assert other.status_code == 404
    async with api("evaluator") as client:
        response = await client.post(
            f"/api/vendors/{x.vendor_id}/sme", json={"sme_size": "micro", "evidence": EVIDENCE}
        )
        assert response.status_code == 403
    entries = await AuditEntry.select(AuditEntry.action).where(
        (AuditEntry.entity == "vendor") & (AuditEntry.entity_id == str(x.vendor_id))
    )
    assert [e["action"] for e in entries].count("declare_sme") == 1
    # The officer, on the vendor's page: a micro enterprise now; refused input is kept.
    async with login("procurement") as client:
        page = await client.get(f"/vendors/{y.vendor_id}")
        token = page.text.split('name="_csrf_token" value="')[1].split('"')[0]
        response = await client.post(
            f"/vendors/{y.vendor_id}/sme",
            data={"_csrf_token": token, "sme_size": "micro", "sme_evidence": "太短"},
            headers={"Referer": f"http://testserver.local/vendors/{y.vendor_id}"},  # as a browser
        )
        assert response.status_code == 422 and "太短" in response.text
        response = await client.post(
            f"/vendors/{y.vendor_id}/sme",
            data={"_csrf_token": token, "sme_size": "micro", "sme_evidence": EVIDENCE},
        )
        assert response.status_code == 200 and EVIDENCE in response.text
    assert (await Vendor.select(Vendor.sme_size).where(Vendor.id == y.vendor_id).first())[
        "sme_size"
    ] == "micro"
    with pytest.raises(NotFound):
        await sme.declare_sme(x.principal, y.vendor_id, "", "")


@pytest.mark.parametrize(
    ("percent", "ok"), [("9", False), ("10", True), ("20", True), ("25", False)]
)
async def test_the_deduction_is_10_to_20_percent(world, percent, ok):
    officer = world.principals["procurement"]
    data = tender_input(sme_percent=D(percent))
    if ok:
        tender_id = await publication.create_tender(officer, data)
        row = await Tender.select(Tender.sme_percent).where(Tender.id == tender_id).first()
        assert D(str(row["sme_percent"])) == D(percent)
    else:
        with pytest.raises(InvalidInput) as refused:
            await publication.create_tender(officer, data)
        assert [e.field for e in refused.value.errors] == ["sme_percent"]
    # Not stated: the setting's default, 10.
    default = await publication.create_tender(officer, tender_input())
    row = await Tender.select(Tender.sme_percent).where(Tender.id == default).first()
    assert D(str(row["sme_percent"])) == D(10)


async def test_sme_price_deduction_in_the_price_score_only(world, api):
    officer = world.principals["procurement"]
    tender_id = await published(world, budget_ceiling=D("1200000.00"), sme_percent=D(10))
    a, b, c = await bidder(world), await bidder(world), await bidder(world)
    await sme.declare_sme(a.principal, a.vendor_id, "small", EVIDENCE)
    await sme.declare_sme(c.principal, c.vendor_id, "micro", EVIDENCE)
    ids = {
        who: (await bid(vendor, tender_id, price))["bid_id"]
        for who, vendor, price in (
            ("a", a, "1000000.00"),
            ("b", b, "950000.00"),
            ("c", c, "1100000.00"),
        )
    }
    await pass_deadline(tender_id)
    summary = await opening.open_tender(officer, tender_id)
    assert summary["sme"] == sorted([ids["a"], ids["c"]])
    # The declaration as of opening counts: withdrawn afterwards, nothing changes.
    await sme.declare_sme(a.principal, a.vendor_id, "", "")
    await sme.declare_sme(b.principal, b.vendor_id, "small", EVIDENCE)
    rows = {r["id"]: r for r in await Bid.select().where(Bid.tender == tender_id)}
    assert {k: rows[v]["sme_size"] for k, v in ids.items()} == {"a": "small", "b": "", "c": "micro"}

    panel = await seat_panel(world, tender_id, 5)
    for e in panel:
        await scoring.declare(e, tender_id, [], "")
    await declare_and_score(
        tender_id,
        panel,
        {v: {"technical": ["80"] * 5, "service": ["80"] * 5} for v in ids.values()},
    )
    await evaluation.close_evaluation(officer, tender_id)
    results = await evaluation.results(officer, tender_id)
    by = {k: next(r for r in results["ranked"] if r["id"] == v) for k, v in ids.items()}
    # Evaluated prices: A 1,000,000 × 0.9 = 900,000.00; B 950,000.00; C 1,100,000 × 0.9 =
    # 990,000.00. Price scores against the lowest evaluated price, 900,000:
    #   A 100.00; B 900000/950000 × 100 = 94.7368… → 94.74; C 900000/990000 × 100 = 90.9090… → 90.91
    # Totals: technical and service 80 each → 32 + 24 = 56 for everyone, plus 30% of the score:
    #   A 30 + 56 = 86.00; B 28.4210… + 56 = 84.4210… → 84.42; C 27.2727… + 56 = 83.2727… → 83.27
    # (Without the deduction B, the cheapest offer, would have won: A 28.50 + 56 = 84.50.)
    assert {k: (r["price"], r["evaluated_price"]) for k, r in by.items()} == {
        "a": (D("1000000.00"), D("900000.00")),
        "b": (D("950000.00"), D("950000.00")),
        "c": (D("1100000.00"), D("990000.00")),
    }
    assert {k: r["price_score"] for k, r in by.items()} == {
        "a": D("100.00"),
        "b": D("94.74"),
        "c": D("90.91"),
    }
    assert {k: (r["total"], r["rank"]) for k, r in by.items()} == {
        "a": (D("86.00"), 1),
        "b": (D("84.42"), 2),
        "c": (D("83.27"), 3),
    }
    # The contract is at the offered price: 1,000,000.00 over 12 months = 83,333.33 × 11
    # = 916,666.63, the last month 83,333.37.
    contract_id = await awarding.award(officer, tender_id, ids["a"])
    terms = (await contracts.get_contract(officer, contract_id))["draft"]["terms_obj"]
    assert (terms.monthly_fee, terms.final_month_fee) == (D("83333.33"), D("83333.37"))
    assert (await vendors.standing([a.vendor_id], terms.effective_from))[a.vendor_id][
        "sme_size"
    ] == ""

    async with api("procurement") as client:
        page = (await client.get(f"/api/tenders/{tender_id}/results")).json()
        first = page["ranked"][0]
        assert (first["price"], first["evaluated_price"], first["sme_size"]) == (
            "1000000.00",
            "900000.00",
            "small",
        )
        pdf = await client.get(f"/api/tenders/{tender_id}/report.pdf")
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
        # The report is printed in Chinese: offered and evaluated price side by side.
        for shown in ("投标报价", "评审价格", "1,000,000.00", "900,000.00", "990,000.00"):
            assert shown in text, shown
        assert "扣除 10.00%" in text


async def test_the_tender_form_states_tie_rule_deduction_and_past_performance(login):
    from tests.integration.test_tender_pages import field_error, form_data

    async with login("procurement") as client:
        page = (await client.get("/tenders/new")).text
        assert 'name="sme_percent"' in page and 'value="10"' in page
        assert 'name="tie_rule"' in page and 'value="technical"' in page
        token = page.split('name="_csrf_token" value="')[1].split('"')[0]
        history = {
            "criteria-2-key": "history",
            "criteria-2-name": "履约评价",
            "criteria-2-weight": "10",
            "criteria-2-source": "past_performance",
            "criteria-2-no_history_score": "",
            "criteria-3-weight": "20",
        }
        data = form_data(sme_percent="25", tie_rule="technical", **history)
        response = await client.post("/tenders", data={**data, "_csrf_token": token})
        assert response.status_code == 422
        assert field_error(response.text, "sme_percent").startswith("a deduction from 10")
        assert field_error(response.text, "criteria-2-no_history_score").startswith(
            "the score of a bidder without history"
        )
        assert 'value="25"' in response.text  # the input is kept
        fixed = {**data, "sme_percent": "15", "criteria-2-no_history_score": "60"}
        response = await client.post("/tenders", data={**fixed, "_csrf_token": token})
        assert response.status_code == 200, response.text
        tender_id = int(str(response.url).rstrip("/").split("/")[-1])
        assert (
            "技术得分高者优先" in response.text or "Higher technical score first" in response.text
        )
        assert "15.00% off the offered price" in response.text
        assert "without history 60" in response.text
    row = await Tender.select().where(Tender.id == tender_id).first()
    assert (row["tie_rule"], D(str(row["sme_percent"]))) == ("technical", D(15))
