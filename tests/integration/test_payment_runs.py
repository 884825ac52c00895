"""The month-end run: a hand-computed month, two-person approval, revisions, vendor access."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from tests.conftest import in_chinese, new_vendor, unique
from tests.integration.jobs_support import computed_run
from tests.integration.test_inspections_notices import WARD_CLEANING, backdate_notice
from vendorgov.audits import notices as audit_notices
from vendorgov.audits import service as audits
from vendorgov.contracts import drafting as contract_drafting
from vendorgov.contracts import service as contracts
from vendorgov.contracts.rules import Penalty, Terms
from vendorgov.errors import Conflict, Forbidden, InvalidInput
from vendorgov.inspections import service as inspections
from vendorgov.payments import reading as payment_reading
from vendorgov.payments import service as payments
from vendorgov.sla.measure import Month

OCTOBER = Month.parse("2026-10")
D = Decimal


def statement_of(run: dict, contract_id: int) -> dict:
    """A contract's statement in a run: every revision holds the whole month (§7), so the runs
    of one test also carry the contracts of the tests before it."""
    (statement,) = [s for s in run["statements"] if s["contract"] == contract_id]
    return statement


async def notices_of(contract_id: int, notice_ids: list[int]) -> list[int]:
    """Which of the notices an approval drafted are the contract's."""
    from vendorgov.audits.tables import Notice

    if not notice_ids:
        return []
    rows = await Notice.select(Notice.id).where(
        Notice.id.is_in(notice_ids) & (Notice.contract == contract_id)
    )
    return [r["id"] for r in rows]


async def october_contract(world, vendor_id) -> int:
    """100,000.00 a month from January, 103,000.00 from 16 October; 2,000.00 per critical
    finding; deductions capped at 8%."""
    officer = world.principals["procurement"]
    terms = Terms(
        effective_from=date(2026, 1, 1),
        monthly_fee=D("100000.00"),
        penalties=[Penalty("critical_finding", D("2000.00"), "每项严重问题")],
        deduction_cap_percent=D(8),
    )
    contract_id, version_id = await contract_drafting.create_contract(
        officer,
        contract_drafting.ContractInput(
            number=unique("HT-YJ"),
            title="病区保洁服务合同",
            vendor_id=vendor_id,
            category="cleaning",
            start_date=date(2026, 1, 1),
            end_date=date(2027, 12, 31),
            monthly_fee=D("100000.00"),
        ),
        terms,
    )
    await contract_drafting.sign(officer, version_id)
    amended = await contract_drafting.amend(officer, contract_id, "年度调价3%", date(2026, 10, 16))
    terms.effective_from, terms.monthly_fee = date(2026, 10, 16), D("103000.00")
    await contract_drafting.update_draft(officer, amended, terms, None)
    await contract_drafting.sign(officer, amended)
    return contract_id


async def october_records(world, contract_id) -> None:
    supervisor = world.principals["supervisor"]
    template = await inspections.save_template(
        supervisor, "cleaning", unique("病区保洁"), WARD_CLEANING["items"]
    )
    # Score 60.00: floor (3) passed, toilet (2) failed (a major finding), isolation not applicable.
    await inspections.submit(
        supervisor,
        inspections.InspectionInput(
            contract_id=contract_id,
            template_id=template,
            kind="routine",
            location="住院部5楼",
            inspected_at=datetime(2026, 10, 12, 2, 0, tzinfo=UTC),
            results={"floor": "pass", "toilet": "fail", "isolation": "na"},
        ),
    )
    # A critical complaint in October: audit component 100 − 20 = 80, and a 2,000.00 penalty.
    await audits.raise_finding(
        supervisor,
        audits.FindingInput(
            contract_id,
            "complaint",
            "critical",
            "手术室保洁不到位",
            "患者投诉手术室保洁不到位",
            found_at=datetime(2026, 10, 20, 3, 0, tzinfo=UTC),
        ),
    )


async def test_a_hand_computed_month_with_proration_penalty_and_cap(world):
    contract_id = await october_contract(world, await new_vendor(world))
    await october_records(world, contract_id)
    finance = world.principals["finance"]
    run_id = await payments.compute_run(finance, OCTOBER, [contract_id])
    statement = statement_of(await payment_reading.get_run(finance, run_id), contract_id)
    assert statement["components"] == {
        "sla": None,  # no clauses: left out
        "inspection": D("60.00"),
        "satisfaction": None,  # no surveys: left out
        "audit": D("80.00"),
    }
    # Stored exactly (vendorgov.exact), shown to 2 decimals.
    assert statement["components_exact"] == {
        "sla": None,
        "inspection": "60",
        "satisfaction": None,
        "audit": "80",
    }
    # (30 × 60 + 10 × 80) / 40 = 65.00 → D, pay 90%
    assert statement["score"] == D("65.00") and statement["grade"] == "D"
    assert statement["weights"] == {"inspection": "75.00", "audit": "25.00"}
    amounts = [(line["kind"], D(line["amount"])) for line in statement["lines"]]
    assert amounts == [
        ("base", D("48387.10")),  # 100,000 × 15/31
        ("base", D("53161.29")),  # 103,000 × 16/31
        ("grade", D("10154.84")),  # 10% of 101,548.39
        ("penalty", D("2000.00")),  # the critical complaint
        ("cap", D("-4030.97")),  # down to 8%: 8,123.87
    ]
    assert statement["lines"][3]["evidence"][0].startswith("finding ")
    assert statement["lines"][1]["description"].startswith("version 2: 103,000.00 × 16/31 days")
    assert (statement["base"], statement["deductions"], statement["net"]) == (
        D("101548.39"),
        D("8123.87"),
        D("93424.52"),
    )
    again = await payments.compute_run(finance, OCTOBER, [contract_id])
    same = statement_of(await payment_reading.get_run(finance, again), contract_id)
    assert (same["score"], same["net"], same["lines"]) == (
        statement["score"],
        statement["net"],
        statement["lines"],
    )


async def test_two_person_approval_lock_and_new_revision_with_diff(world):
    contract_id = await october_contract(world, world.vendor_a)
    finance, reviewer = world.principals["finance"], world.principals["finance_b"]
    first = await payments.compute_run(finance, OCTOBER, [contract_id])
    with pytest.raises(Forbidden, match="cannot review"):
        await payments.approve(finance, first)
    with pytest.raises(Forbidden, match="Administrator role does not review"):
        await payments.approve(world.principals["admin"], first)
    await with_vendor_sees_nothing(world)
    await payments.approve(reviewer, first)
    with pytest.raises(Conflict, match="approved by t.finance_b already"):
        await payments.approve(reviewer, first)
    with pytest.raises(InvalidInput, match="say why"):
        await payments.compute_run(finance, OCTOBER, [contract_id])
    await october_records(world, contract_id)  # late records change the month
    second = await payments.compute_run(finance, OCTOBER, [contract_id], reason="补录检查记录")
    third = await payments.compute_run(finance, OCTOBER, [contract_id], reason="复核")
    with pytest.raises(Conflict, match="stale"):
        await payments.approve(reviewer, second)
    # The stale revision says so and leaves the month's approval to the newest one.
    assert (await payment_reading.get_run(finance, second))["shown_status"] == "superseded"
    waiting = await payment_reading.runs_awaiting_approval(finance)
    assert third in {r["id"] for r in waiting} and second not in {r["id"] for r in waiting}
    changes = await payment_reading.diff(finance, second)
    assert changes and {f for f, _, _ in changes[0]["changes"]} >= {"score", "grade", "net"}
    approved = await payment_reading.get_run(finance, first)
    assert approved["status"] == "approved"  # never overwritten
    assert (await payment_reading.get_run(finance, third))["revision"] == approved["revision"] + 2
    with pytest.raises(InvalidInput, match="has not ended"):
        await payments.compute_run(finance, Month.parse("2026-12"), [contract_id])
    with pytest.raises(Forbidden):
        await payments.compute_run(world.principals["supervisor"], OCTOBER, [contract_id])
    # A month before any contract: a clear refusal naming the month, nothing written.
    runs_before = (await payment_reading.runs(finance)).total
    with pytest.raises(InvalidInput, match="no contract was in force in 2015-03") as refused:
        await payments.compute_run(finance, Month.parse("2015-03"), None)
    assert refused.value.errors[0].rule == "no_contracts"
    assert (await payment_reading.runs(finance)).total == runs_before

    vendor = (await payment_reading.statements_for_vendor(world.principals["vendor"])).items
    assert {s["contract"] for s in vendor} == {contract_id}
    assert all(s["month"] == "2026-10" and s["revision"] == approved["revision"] for s in vendor)
    assert (await payment_reading.statements_for_vendor(world.principals["vendor_b"])).items == []


async def with_vendor_sees_nothing(world):
    assert (await payment_reading.statements_for_vendor(world.principals["vendor"])).items == []


async def test_the_api_computes_approves_and_shows_the_vendor_its_statement(api, world):
    contract_id = await october_contract(world, world.vendor_a)
    async with api("finance") as c:
        run_id = await computed_run(
            c, {"month": "2026-10", "contract_ids": [contract_id], "reason": "API"}
        )
        own = await c.post(f"/api/payments/runs/{run_id}/approve")
        shown = (await c.get(f"/api/payments/runs/{run_id}")).json()
        bad_month = await c.post("/api/payments/runs", json={"month": "2026-13"})
    async with api("vendor") as c:
        refused = await c.get(f"/api/payments/runs/{run_id}")
        before = (await c.get("/api/payments/statements?page_size=200")).json()["items"]
    async with api("admin") as c:  # administrators do not approve (§7)
        by_admin = await c.post(f"/api/payments/runs/{run_id}/approve")
    async with api("finance_b") as c:
        approved = await c.post(f"/api/payments/runs/{run_id}/approve")
    async with api("vendor") as c:
        after = (await c.get("/api/payments/statements?page_size=200")).json()["items"]
    assert own.status_code == 403 and by_admin.status_code == 403
    assert D(statement_of(shown, contract_id)["base"]) == D("101548.39")
    assert bad_month.status_code == 422 and refused.status_code == 403
    assert run_id not in {s["run"] for s in before}
    assert approved.json()["status"] == "approved"
    assert await notices_of(contract_id, approved.json()["drafted_notice_ids"]) == []  # grade A
    assert any(s["run"] == run_id for s in after)


async def test_statement_pdf_and_the_run_as_xlsx_and_csv(api, world):
    import io

    from openpyxl import load_workbook
    from pypdf import PdfReader

    contract_id = await october_contract(world, world.vendor_a)
    await october_records(world, contract_id)
    finance = world.principals["finance"]
    run_id = await payments.compute_run(finance, OCTOBER, [contract_id], reason="报表")
    pdf_path = f"/api/payments/runs/{run_id}/statements/{contract_id}/statement.pdf"
    async with api("vendor") as c:
        hidden = await c.get(pdf_path)  # not approved yet
    async with api("finance") as c:
        with in_chinese(c):
            pdf = await c.get(pdf_path)
        xlsx = await c.get(f"/api/payments/runs/{run_id}/export/xlsx")
        csv = await c.get(f"/api/payments/runs/{run_id}/export/csv")
        wrong = await c.get(f"/api/payments/runs/{run_id}/export/pdf")
    await payments.approve(world.principals["finance_b"], run_id)
    async with api("vendor") as c:
        shown = await c.get(pdf_path)
    async with api("vendor_b") as c:
        other = await c.get(pdf_path)
    number = (await contracts.get_contract(finance, contract_id))["number"]
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    compact = text.replace(" ", "").replace("\n", "")
    assert pdf.headers["content-type"] == "application/pdf"
    assert number in compact and "考核结算单" in compact and "93,424.52" in compact
    assert "待审批" in compact  # not yet approved when printed
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("月份 (Month)", "版本 (Revision)", "状态 (Status)", "收款单位 (Payee)")
    (row,) = [r for r in rows if r[7] == number]
    assert row[9] == "D" and row[13] == pytest.approx(93424.52)
    assert csv.content.startswith("\ufeff".encode()) and b"93424.52" in csv.content
    assert wrong.status_code == 422 and hidden.status_code == 404
    assert shown.status_code == 200 and other.status_code == 404


async def test_month_end_pages_explain_and_approve(login, world):
    from tests.conftest import csrf_token

    contract_id = await october_contract(world, world.vendor_a)
    await october_records(world, contract_id)
    run_id = await payments.compute_run(
        world.principals["finance"], OCTOBER, [contract_id], reason="页面"
    )
    number = (await contracts.get_contract(world.principals["finance"], contract_id))["number"]
    async with login("finance") as c:
        listing = await c.get("/month-end")
        page = await c.get(f"/month-end/runs/{run_id}")
        explained = await c.get(f"/month-end/runs/{run_id}/contracts/{contract_id}")
        token = await csrf_token(c, "/month-end")
        bad = await c.post("/month-end", data={"_csrf_token": token, "month": "2026-13"})
    assert f"/month-end/runs/{run_id}" in listing.text
    assert number in page.text and "Approve and lock" not in page.text  # not by the computer
    assert "HHI" in page.text and "93,424.52" in page.text
    assert "65.00" in explained.text and "no data: left out" in explained.text
    assert "48,387.10" in explained.text and "投诉 complaint #" in explained.text
    assert bad.status_code == 422
    async with login("admin") as c:  # administrators do not approve (§7)
        assert "Approve and lock" not in (await c.get(f"/month-end/runs/{run_id}")).text
    async with login("finance_b") as c:
        token = await csrf_token(c, f"/month-end/runs/{run_id}")
        assert "Approve and lock" in (await c.get(f"/month-end/runs/{run_id}")).text
        done = await c.post(f"/month-end/runs/{run_id}/approve", data={"_csrf_token": token})
        assert "approved" in done.text
        pdf = await c.get(f"/month-end/runs/{run_id}/contracts/{contract_id}/statement.pdf")
        xlsx = await c.get(f"/month-end/runs/{run_id}/export/xlsx")
        csv = await c.get(f"/month-end/runs/{run_id}/export/csv")
    # The pages link their downloads to session routes (the /api/ ones take tokens only).
    assert f'href="/month-end/runs/{run_id}/contracts/{contract_id}/statement.pdf"' in done.text
    assert f'href="/month-end/runs/{run_id}/export/xlsx"' in done.text
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert csv.headers["content-type"].startswith("text/csv") and b"93424.52" in csv.content
    async with login("vendor") as c:
        mine = await c.get("/statements")
        assert number in mine.text
        own_pdf = await c.get(f"/month-end/runs/{run_id}/contracts/{contract_id}/statement.pdf")
        assert own_pdf.headers["content-type"] == "application/pdf"
        assert f"/month-end/runs/{run_id}/contracts/{contract_id}/statement.pdf" in mine.text
        export = await c.get(f"/month-end/runs/{run_id}/export/csv")
        assert export.status_code == 403
        assert (await c.get(f"/month-end/runs/{run_id}/contracts/{contract_id}")).status_code == 200
        assert (await c.get(f"/month-end/runs/{run_id}")).status_code == 403
    async with login("vendor_b") as c:
        assert number not in (await c.get("/statements")).text
        hidden = await c.get(f"/month-end/runs/{run_id}/contracts/{contract_id}")
        assert hidden.status_code == 404
        other = await c.get(f"/month-end/runs/{run_id}/contracts/{contract_id}/statement.pdf")
        assert other.status_code == 404


async def test_d_twice_is_flagged_and_an_overdue_notice_costs_again_the_next_month(login, world):
    officer, supervisor = world.principals["procurement"], world.principals["supervisor"]
    finance, reviewer = world.principals["finance"], world.principals["finance_b"]
    contract_id, version_id = await contract_drafting.create_contract(
        officer,
        contract_drafting.ContractInput(
            number=unique("HT-DD"),
            title="病区保洁服务合同",
            vendor_id=await new_vendor(world),
            category="cleaning",
            start_date=date(2026, 1, 1),
            end_date=date(2027, 12, 31),
            monthly_fee=D("60000.00"),
        ),
        Terms(
            effective_from=date(2026, 1, 1),
            monthly_fee=D("60000.00"),
            penalties=[Penalty("overdue_notice", D("1000.00"), "逾期未整改")],
        ),
    )
    await contract_drafting.sign(officer, version_id)
    template = await inspections.save_template(
        supervisor, "cleaning", unique("病区保洁"), WARD_CLEANING["items"]
    )
    for day in (datetime(2026, 9, 12, 2, tzinfo=UTC), datetime(2026, 10, 12, 2, tzinfo=UTC)):
        await inspections.submit(  # 60.00 each month
            supervisor,
            inspections.InspectionInput(
                contract_id,
                template,
                "routine",
                "住院部",
                day,
                {"floor": "pass", "toilet": "fail", "isolation": "na"},
            ),
        )
    complaint = await audits.raise_finding(
        supervisor,
        audits.FindingInput(
            contract_id,
            "complaint",
            "critical",
            "病房垃圾未清运",
            "病房垃圾未清运",
            found_at=datetime(2026, 9, 20, 1, tzinfo=UTC),
        ),
    )
    notice_id = await audit_notices.issue_notice(supervisor, [complaint])
    issued = datetime(2026, 9, 20, 2, tzinfo=UTC)  # never fixed: overdue from 21 September
    await backdate_notice(notice_id, issued, hours=24)

    september = await payments.compute_run(
        finance, Month.parse("2026-09"), [contract_id], reason="测试"
    )
    sep = statement_of(await payment_reading.get_run(finance, september), contract_id)
    # September: inspection 60; audit 100 − 20 (critical complaint) − 10 (overdue) = 70 → 62.50, D
    assert (sep["score"], sep["grade"], sep["termination_review"]) == (D("62.50"), "D", False)
    await payments.approve(reviewer, september)

    october = await payments.compute_run(finance, OCTOBER, [contract_id], reason="测试")
    oct_ = statement_of(await payment_reading.get_run(finance, october), contract_id)
    # October: no new complaint, the same notice still overdue: audit 90 → 67.50, D again
    assert oct_["components"]["audit"] == D("90.00") and oct_["score"] == D("67.50")
    assert oct_["grade"] == "D" and oct_["termination_review"] is True
    overdue = [line for line in oct_["lines"] if line["kind"] == "penalty"]
    assert [(D(line["amount"]), line["evidence"][0][:9]) for line in overdue] == [
        (D("1000.00"), "notice ZG")
    ]
    await payments.approve(reviewer, october)
    async with login("finance") as c:
        history = await c.get(f"/month-end/contracts/{contract_id}/history")
        run_page = await c.get(f"/month-end/runs/{october}")
        flagged = await c.get(f"/month-end/runs/{october}", params={"review": "true"})
        unflagged = await c.get(f"/month-end/runs/{october}", params={"grade": "A"})
    assert (
        "<svg" in history.text
        and "2026-09" in history.text
        and "termination review" in history.text
    )
    # every grade band of the contract drawn, not only the C line
    assert all(f'data-band="{grade}"' in history.text for grade in "ABCD")
    # The run page counts the flagged statements and links the list filtered to them.
    assert "flagged for termination review" in run_page.text and "?review=true" in run_page.text
    assert f"/month-end/contracts/{contract_id}/history" in flagged.text
    assert f"/month-end/contracts/{contract_id}/history" not in unflagged.text


async def test_a_contract_without_a_version_in_force_refuses_the_run_and_writes_nothing(world):
    from vendorgov.payments.tables import PaymentRun
    from vendorgov.sla.tables import MonthMeasure

    officer = world.principals["procurement"]
    contract_id, version_id = await contract_drafting.create_contract(
        officer,
        contract_drafting.ContractInput(
            number=unique("HT-LATE"),
            title="保洁服务合同",
            vendor_id=await new_vendor(world),
            category="cleaning",
            start_date=date(2026, 10, 1),
            end_date=date(2027, 9, 30),
            monthly_fee=D("50000.00"),
        ),
        Terms(
            effective_from=date(2026, 11, 1), monthly_fee=D("50000.00")
        ),  # signed for November on
    )
    await contract_drafting.sign(officer, version_id)
    runs_before = await PaymentRun.count()
    with pytest.raises(InvalidInput, match="no signed version in force in 2026-10"):
        await payments.compute_run(world.principals["finance"], OCTOBER, [contract_id], reason="x")
    assert await PaymentRun.count() == runs_before
    assert not await MonthMeasure.exists().where(MonthMeasure.contract == contract_id)


async def test_approved_months_are_ocds_implementation_transactions(api, world):
    import json

    from jsonschema import Draft4Validator

    from tests.integration.test_contracts import OCDS

    contract_id = await october_contract(world, world.vendor_a)
    await october_records(world, contract_id)
    finance = world.principals["finance"]
    run_id = await payments.compute_run(finance, OCTOBER, [contract_id], reason="OCDS")
    async with api("procurement") as c:
        before = (await c.get(f"/api/contracts/{contract_id}/ocds")).json()
    await payments.approve(world.principals["finance_b"], run_id)
    async with api("procurement") as c:
        release = (await c.get(f"/api/contracts/{contract_id}/ocds")).json()
    async with api("vendor") as c:
        own = await c.get(f"/api/contracts/{contract_id}/ocds")
    async with api("vendor_b") as c:
        other = await c.get(f"/api/contracts/{contract_id}/ocds")

    schema = json.loads((OCDS / "release-schema.json").read_text())
    validator = Draft4Validator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)
    assert [e.message for e in validator.iter_errors(release)] == []
    assert "implementation" not in before["contracts"][0]  # computed is not paid
    assert release["tag"] == ["contract", "contractAmendment", "implementation"]
    (contract,) = release["contracts"]
    (paid,) = contract["implementation"]["transactions"]
    number = contract["id"]
    assert paid["id"] == f"{number}-2026-10"
    assert paid["value"] == {"amount": 93424.52, "currency": "CNY"}
    parties = {p["id"]: p for p in release["parties"]}
    assert "payer" in parties[paid["payer"]["id"]]["roles"]
    assert "payee" in parties[paid["payee"]["id"]]["roles"]
    assert paid["payee"]["name"] == parties[paid["payee"]["id"]]["name"]
    assert paid["source"].endswith(
        f"/api/payments/runs/{run_id}/statements/{contract_id}/statement.pdf"
    )
    run = await payment_reading.get_run(finance, run_id)
    assert paid["date"] == run["approved_at"].isoformat(timespec="seconds")
    assert release["date"] >= paid["date"]
    assert own.status_code == 200 and other.status_code == 404


async def test_a_d_grade_drafts_a_notice_the_vendor_sees_only_once_issued(api, login, world):
    import io
    from datetime import timedelta

    from pypdf import PdfReader

    from tests.conftest import csrf_token
    from vendorgov.audits.tables import Notice

    contract_id = await october_contract(world, world.vendor_a)
    await october_records(world, contract_id)  # 65.00 → D
    finance, reviewer = world.principals["finance"], world.principals["finance_b"]
    first = await payments.compute_run(finance, OCTOBER, [contract_id], reason="D")
    async with api("finance_b") as c:
        approved = (await c.post(f"/api/payments/runs/{first}/approve")).json()
    (notice_id,) = await notices_of(contract_id, approved["drafted_notice_ids"])
    async with api("supervisor") as c:
        draft = (await c.get(f"/api/notices/{notice_id}")).json()
        listed = await c.get(f"/api/notices?open=true&contract_id={contract_id}")
        listed = {n["id"] for n in listed.json()["items"]}
    assert draft["status"] == "draft" and draft["origin"] == "grade"
    assert (draft["contract"], draft["month"], draft["run_id"]) == (contract_id, "2026-10", first)
    assert "2026-10 月度考核得分 65.00 分，等级 D" in draft["body"]
    assert "score 65.00, grade D" in draft["body"]
    assert [s["action"] for s in draft["steps"]] == ["draft"] and draft["findings"] == []
    assert notice_id in listed and not draft["overdue"] and not draft["due_soon"]

    # The vendor does not see the draft anywhere: list, API, page, PDF, dashboard.
    async with api("vendor") as c:
        listed = await c.get(f"/api/notices?contract_id={contract_id}")
        assert notice_id not in {n["id"] for n in listed.json()["items"]}
        assert (await c.get(f"/api/notices/{notice_id}")).status_code == 404
        refused = await c.post(f"/api/notices/{notice_id}/actions", json={"action": "acknowledge"})
        assert refused.status_code == 404
    async with login("vendor") as c:
        assert (await c.get(f"/notices/{notice_id}")).status_code == 404
        assert (await c.get(f"/notices/{notice_id}/notice.pdf")).status_code == 404
        assert f"/notices/{notice_id}" not in (await c.get("/notices?all=true")).text
        assert f"/notices/{notice_id}" not in (await c.get("/")).text
    async with login("supervisor") as c:
        listing = await c.get("/notices")
        page = await c.get(f"/notices/{notice_id}")
        dashboard = await c.get("/supervision")
        pdf = await c.get(f"/notices/{notice_id}/notice.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    assert "DRAFT" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Drafts to review" in listing.text and f"/notices/{notice_id}" in listing.text
    assert "Issue to the vendor" in page.text and "Discard the draft" in page.text
    assert "score 65.00, grade D" in page.text and "The vendor does not see it" in page.text
    assert "drafted by the month-end" in dashboard.text

    # A later approved revision of the month does not draft a second notice: the draft is
    # brought up to date with the run it now rests on.
    second = await payments.compute_run(finance, OCTOBER, [contract_id], reason="复核")
    assert await notices_of(contract_id, await payments.approve(reviewer, second)) == [notice_id]
    rows = await Notice.select().where(
        (Notice.contract == contract_id) & (Notice.month == "2026-10")
    )
    assert [(r["id"], r["run_id"], r["status"]) for r in rows] == [(notice_id, second, "draft")]

    # Finance cannot issue it; a supervisor issues it with the critical window: 24 h from now.
    async with api("finance") as c:
        refused = await c.post(f"/api/notices/{notice_id}/actions", json={"action": "issue"})
        assert refused.status_code == 403
    async with api("supervisor") as c:
        bad = await c.post(
            f"/api/notices/{notice_id}/actions", json={"action": "issue", "severity": "severe"}
        )
        assert bad.status_code == 422
    async with login("supervisor") as c:
        token = await csrf_token(c, f"/notices/{notice_id}")
        before = datetime.now(UTC)
        done = await c.post(
            f"/notices/{notice_id}/actions",
            data={"_csrf_token": token, "action": "issue", "severity": "critical"},
        )
        assert done.status_code == 200 and "Notice status: Issued" in done.text
    async with api("vendor") as c:
        issued = (await c.get(f"/api/notices/{notice_id}")).json()
        acknowledged = await c.post(
            f"/api/notices/{notice_id}/actions", json={"action": "acknowledge"}
        )
    issued_at = datetime.fromisoformat(issued["issued_at"])
    assert issued["status"] == "issued" and issued["number"].startswith("ZG-")
    assert issued["issued_by"] == "t.supervisor" and issued_at >= before.replace(microsecond=0)
    assert datetime.fromisoformat(issued["deadline"]) == issued_at + timedelta(hours=24)
    assert [s["action"] for s in issued["steps"]] == ["draft", "redraft", "issue"]
    assert acknowledged.json() == {"status": "acknowledged"}
    async with api("supervisor") as c:
        again = await c.post(f"/api/notices/{notice_id}/actions", json={"action": "issue"})
        assert again.status_code == 409 and "cannot be issued now" in again.text
    third = await payments.compute_run(finance, OCTOBER, [contract_id], reason="再次复核")
    # Issued already: left as it is.
    assert await notices_of(contract_id, await payments.approve(reviewer, third)) == []


async def test_a_discarded_draft_stays_hidden_and_is_not_drafted_again(api, world):
    contract_id = await october_contract(world, world.vendor_a)
    await october_records(world, contract_id)
    finance, reviewer = world.principals["finance"], world.principals["finance_b"]
    first = await payments.compute_run(finance, OCTOBER, [contract_id], reason="D")
    (notice_id,) = await notices_of(contract_id, await payments.approve(reviewer, first))
    async with api("supervisor") as c:
        no_reason = await c.post(f"/api/notices/{notice_id}/actions", json={"action": "discard"})
        discarded = await c.post(
            f"/api/notices/{notice_id}/actions",
            json={"action": "discard", "note": "已当面约谈服务商，暂不发出"},
        )
        shown = (await c.get(f"/api/notices/{notice_id}")).json()
        open_ids = await c.get(f"/api/notices?open=true&contract_id={contract_id}")
        open_ids = {n["id"] for n in open_ids.json()["items"]}
        reissue = await c.post(f"/api/notices/{notice_id}/actions", json={"action": "issue"})
    assert no_reason.status_code == 422 and "say why" in no_reason.text
    assert discarded.json() == {"status": "discarded"}
    assert shown["discard_reason"] == "已当面约谈服务商，暂不发出"
    assert notice_id not in open_ids
    assert reissue.status_code == 409 and "discarded" in reissue.text
    async with api("vendor") as c:
        assert (await c.get(f"/api/notices/{notice_id}")).status_code == 404
    second = await payments.compute_run(finance, OCTOBER, [contract_id], reason="复核")
    assert await notices_of(contract_id, await payments.approve(reviewer, second)) == []
    # A draft counts nothing in the assessment: the month's audit component is unchanged.
    statement = statement_of(await payment_reading.get_run(finance, second), contract_id)
    assert statement["components"]["audit"] == D("80.00")
