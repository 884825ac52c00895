"""Statements finance signs: signed lines, evidence described and linked, totals, the net in
capitals; the accounting export read back; formula-like names neutralised in every export;
spend concentration per service category."""

import io
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pandas as pd
from openpyxl import load_workbook

from tests.conftest import new_vendor, random_uscc, unique
from tests.integration.test_payment_runs import OCTOBER, october_contract, october_records
from vendorgov.contracts import drafting as contract_drafting
from vendorgov.contracts.rules import Terms
from vendorgov.files.exports import neutralise
from vendorgov.payments import exports, run_view
from vendorgov.payments import reading as payment_reading
from vendorgov.payments import service as payments
from vendorgov.sla.measure import Month
from vendorgov.tenders import documents as tender_documents
from vendorgov.vendors import registry as vendor_registry
from vendorgov.vendors import service as vendors
from vendorgov.vendors.rules import VendorInput

D = Decimal
FORMULA_NAME = '=HYPERLINK("http://x")'


async def simple_contract(world, vendor_id, category="cleaning", number=None, fee="50000.00"):
    officer = world.principals["procurement"]
    terms = Terms(effective_from=date(2026, 1, 1), monthly_fee=D(fee))
    contract_id, version_id = await contract_drafting.create_contract(
        officer,
        contract_drafting.ContractInput(
            number=number or unique("HT-FW"),
            title="后勤服务合同",
            vendor_id=vendor_id,
            category=category,
            start_date=date(2026, 1, 1),
            end_date=date(2027, 12, 31),
            monthly_fee=D(fee),
        ),
        terms,
    )
    await contract_drafting.sign(officer, version_id)
    return contract_id


async def test_statement_page_and_pdf_sign_every_line_and_write_the_net_in_capitals(login, world):
    from pypdf import PdfReader

    contract_id = await october_contract(world, world.vendor_a)
    await october_records(world, contract_id)
    run_id = await payments.compute_run(
        world.principals["finance"], OCTOBER, [contract_id], reason="签字版"
    )
    path = f"/month-end/runs/{run_id}/contracts/{contract_id}"
    async with login("finance") as c:
        page = await c.get(path)
        run_page = await c.get(f"/month-end/runs/{run_id}")
        pdf = await c.get(f"{path}/statement.pdf")
    # Grade deduction and penalty take off, the cap adds back (never "−-").
    for text in (page.text, run_page.text):
        assert "−-" not in text
    assert "−10,154.84" in page.text and "−2,000.00" in page.text
    assert "+4,030.97" in page.text and "−8,123.87" in page.text
    assert "人民币玖万叁仟肆佰贰拾肆元伍角贰分" in page.text
    # The penalty's evidence: what, when, severity, linked to that finding, not the whole list.
    assert "投诉 complaint #" in page.text and "严重 critical" in page.text
    assert "手术室保洁不到位" in page.text and "2026-10-20 11:00" in page.text
    assert f"/findings?contract_id={contract_id}&amp;status=#finding-" in page.text
    shown = len((await payment_reading.get_run(world.principals["finance"], run_id))["statements"])
    assert f"Total ({shown} contracts)" in run_page.text and "93,424.52" in run_page.text
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    compact = text.replace(" ", "").replace("\n", "")
    assert "−-" not in compact
    assert "−10,154.84" in compact and "+4,030.97" in compact and "−8,123.87" in compact
    assert "人民币玖万叁仟肆佰贰拾肆元伍角贰分" in compact
    assert "手术室保洁不到位" in compact and "严重critical" in compact


async def test_the_accounting_export_reads_back_equal_to_the_statements(api, world):
    admin = world.principals["admin"]
    hostile = await new_vendor(
        world, bank_name="中国工商银行武汉分行", bank_account="4200 1234 5678 9012"
    )
    current = await vendors.get_vendor(admin, hostile)
    await vendor_registry.update_vendor(
        admin,
        hostile,
        VendorInput(
            name=FORMULA_NAME,
            uscc=current["uscc"],
            categories=["cleaning"],
            bank_name=current["bank_name"],
            bank_account=current["bank_account"],
        ),
    )
    formula_contract = await simple_contract(world, hostile, number=f"=1+2-{unique('')}"[:40])
    penalised = await october_contract(world, world.vendor_a)
    await october_records(world, penalised)
    finance = world.principals["finance"]
    run_id = await payments.compute_run(finance, OCTOBER, [formula_contract, penalised], "导出")
    run = await exports.accounting_run(finance, run_id)
    async with api("finance") as c:
        xlsx = await c.get(f"/api/payments/runs/{run_id}/export/xlsx")
        csv = await c.get(f"/api/payments/runs/{run_id}/export/csv")
        lines_csv = await c.get(f"/api/payments/runs/{run_id}/export/lines.csv")
        wrong = await c.get(f"/api/payments/runs/{run_id}/export/pdf")
    assert wrong.status_code == 422
    sheets = pd.read_excel(io.BytesIO(xlsx.content), sheet_name=None, dtype=object)
    assert list(sheets) == ["结算单 Statements", "明细 Lines"]
    statements, lines = sheets["结算单 Statements"], sheets["明细 Lines"]
    assert list(statements.columns) == list(exports.STATEMENT_COLUMNS.values())
    assert list(lines.columns) == list(exports.LINE_COLUMNS.values())

    def money(value) -> Decimal:
        return D(str(value)).quantize(D("0.01"))

    by_contract = {s["contract_number"]: s for s in run["statements"]}
    body, total = statements.iloc[:-1], statements.iloc[-1]
    assert len(body) == len(run["statements"]) and total["收款单位 (Payee)"] == "合计 (Total)"
    for _, row in body.iterrows():
        number = row["合同编号 (Contract)"].removeprefix("'")
        s = by_contract[number]
        payee = run["payees"][s["vendor_id"]]
        assert row["收款单位 (Payee)"] == neutralise(payee["name"])
        assert row["统一社会信用代码 (USCC)"] == payee["uscc"]
        assert row["月份 (Month)"] == "2026-10"
        for column, key in (
            ("基本服务费 (Base fee)", "base"),
            ("扣款合计 (Deductions)", "deductions"),
            ("实付金额 (Net payable)", "net"),
        ):
            assert money(row[column]) == s[key]
        contract_lines = lines[lines["合同编号 (Contract)"] == row["合同编号 (Contract)"]]
        assert len(contract_lines) == len(s["lines"])
        assert sum(money(a) for a in contract_lines["金额 (Amount)"]) == s["net"]
    hostile_row = body[body["收款单位 (Payee)"] == "'" + FORMULA_NAME].iloc[0]
    assert hostile_row["开户银行 (Bank)"] == "中国工商银行武汉分行"
    assert str(hostile_row["银行账号 (Bank account)"]) == "4200123456789012"
    assert hostile_row["合同编号 (Contract)"].startswith("'=1+2")
    # The run page's totals, summed in SQL in whole cents, match the export's to the cent.
    totals = (await run_view.summary(run_id))["totals"]
    assert money(total["实付金额 (Net payable)"]) == totals["net"]
    assert money(total["基本服务费 (Base fee)"]) == totals["base"]
    assert money(lines.iloc[-1]["金额 (Amount)"]) == totals["net"]
    # Money cells are numbers shown with two decimals; no cell is a formula.
    book = load_workbook(io.BytesIO(xlsx.content))
    net_cell = book["结算单 Statements"]["N2"]
    assert net_cell.data_type == "n" and net_cell.number_format == "#,##0.00"
    assert all(cell.data_type != "f" for sheet in book for row in sheet.iter_rows() for cell in row)
    # CSV: the same neutralisation; negative amounts stay numbers.
    frame = pd.read_csv(io.BytesIO(csv.content), dtype=str, encoding="utf-8-sig")
    assert "'" + FORMULA_NAME in set(frame["收款单位 (Payee)"])
    assert any(v.startswith("'=1+2") for v in frame["合同编号 (Contract)"].dropna())
    line_frame = pd.read_csv(io.BytesIO(lines_csv.content), dtype=str, encoding="utf-8-sig")
    assert "-10154.84" in set(line_frame["金额 (Amount)"])
    assert not any(str(v).startswith("'") for v in line_frame["金额 (Amount)"])


def test_the_scoring_matrix_neutralises_vendor_names():
    report = {
        "tender": {"reference": "ZB-1"},
        "criteria": [
            SimpleNamespace(key="technical", name="技术方案", is_price=False),
            SimpleNamespace(key="price", name="价格", is_price=True),
        ],
        "matrix": [
            {
                "member": 1,
                "bid": 7,
                "evaluator": "@评委",
                "vendor_name": FORMULA_NAME,
                "criterion": "technical",
                "score": D("-0.5") + D("88"),
            }
        ],
        "bids": [
            {
                "id": 7,
                "vendor_name": FORMULA_NAME,
                "digest": "+ab",
                "price": D("-1.00") + D("98000.00"),
                "invalid_reasons": ["\tx"],
                "compliance": "pass",
                "abnormally_low": False,
                "low_decision": "",
            }
        ],
    }
    book = load_workbook(io.BytesIO(tender_documents.matrix_xlsx(report)))
    scores, results = book["scores"], book["results"]
    assert scores["C2"].value == "'" + FORMULA_NAME and scores["A2"].value == "'@评委"
    assert scores["D2"].value == 87.5 and scores["D2"].data_type == "n"
    assert results["B2"].value == "'" + FORMULA_NAME and results["C2"].value == "'+ab"
    assert results["D2"].value == 97999 and results["H2"].value == "'\tx"
    csv = tender_documents.matrix_csv(report).decode("utf-8-sig")
    assert "'=HYPERLINK" in csv and "87.5" in csv


def test_numbers_are_never_changed():
    for value in (D("-6000.00"), -1, -0.5, 0, None, True):
        assert neutralise(value) is value
    for text in ("=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(text) == "'" + text
    assert neutralise("HT-2026-001") == "HT-2026-001"


async def test_concentration_per_category_flags_single_vendors(login, world):
    cleaning_a = await simple_contract(world, world.vendor_a, fee="75000.00")
    cleaning_b = await simple_contract(world, await new_vendor(world), fee="25000.00")
    security = await simple_contract(world, world.vendor_b, category="security")
    # A month no other test computes: every revision carries the month's other contracts over.
    run_id = await payments.compute_run(
        world.principals["finance"], Month(2026, 1), [cleaning_a, cleaning_b, security], "集中度"
    )
    by_category = {c["category"]: c for c in await run_view.concentration(run_id)}
    cleaning = by_category["cleaning"]
    assert [share for _, share in cleaning["shares"]] == [D("75.00"), D("25.00")]
    assert cleaning["hhi"] == D("6250.00") and not cleaning["single_vendor"]
    assert by_category["security"]["single_vendor"] and by_category["security"]["hhi"] == 10000
    async with login("finance") as c:
        page = await c.get(f"/month-end/runs/{run_id}")
        home = await c.get("/")
    assert "single vendor: dependency risk" in page.text and "6250.00" in page.text
    # The dashboard shows the newest month's concentration (another test's month, maybe).
    assert "Spend concentration by service category" in home.text


async def test_payee_bank_details_are_validated(api, world):
    async with api("procurement") as c:
        made = await c.post(
            "/api/vendors",
            json={
                "name": unique("银行测试"),
                "uscc": random_uscc(),
                "categories": ["laundry"],
                "bank_name": "招商银行",
                "bank_account": "6214 8301 2345 6789",
            },
        )
        bad = await c.post(
            "/api/vendors",
            json={
                "name": unique("银行测试"),
                "uscc": random_uscc(),
                "categories": ["laundry"],
                "bank_account": "12AB567",
            },
        )
    assert made.status_code == 201, made.text
    shown = await vendors.get_vendor(world.principals["admin"], made.json()["id"])
    assert shown["bank_account"] == "6214830123456789" and shown["bank_name"] == "招商银行"
    assert bad.status_code == 422
    fields = {e["field"]: e["rule"] for e in bad.json()["errors"]}
    assert fields == {"bank_account": "format", "bank_name": "required"}
