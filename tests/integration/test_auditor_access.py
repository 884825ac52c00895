"""A third-party auditor (§1) works from its assignments: it reads the assigned contract and its
scorecard for the audit period (read-only), the findings it recorded and the notices they are
on (their follow-up, with only its own findings shown), and its own reports; another auditor's
findings, notices and reports, unassigned contracts and other months are not there for it."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

from pypdf import PdfReader

from tests.conftest import PASSWORD, PDF, new_vendor, unique
from tests.integration.test_inspections_notices import cleaning_contract
from vendorgov.accounts import service as accounts
from vendorgov.audits import assignments as audit_assignments
from vendorgov.audits import lists
from vendorgov.audits import notices as audit_notices
from vendorgov.audits import service as audits
from vendorgov.files.service import Upload

OCTOBER = (date(2026, 10, 1), date(2026, 10, 31))


async def _auditor(world, display_name):
    """An agency account of this test's own (`login(name)` logs in as it)."""
    name = f"auditor{unique('x')[-9:]}"
    user_id = await accounts.create_account(
        world.principals["admin"],
        username=f"t.{name}",
        password=PASSWORD,
        role="auditor",
        display_name=display_name,
    )
    return name, await accounts.principal_for_user(user_id)


async def _audit_finding(auditor, contract_id, text, clause=""):
    return await audits.raise_finding(
        auditor,
        audits.FindingInput(
            contract_id,
            "audit",
            "major",
            text,
            f"{text}（审计发现）",
            clause_code=clause,
            found_at=datetime(2026, 10, 20, 2, 0, tzinfo=UTC),
        ),
    )


async def test_an_auditor_reads_its_own_finding_report_and_follow_up_and_nothing_else(
    login, api, world
):
    supervisor, vendor = world.principals["supervisor"], world.principals["vendor"]
    my_name, mine = await _auditor(world, "第一审计机构")
    other_name, other = await _auditor(world, "第二审计机构")
    assigned = await cleaning_contract(world, world.vendor_a)
    unassigned = await cleaning_contract(world, await new_vendor(world))
    my_assignment = await audit_assignments.assign_auditor(
        supervisor, mine.user_id, assigned, *OCTOBER
    )
    their_assignment = await audit_assignments.assign_auditor(
        supervisor, other.user_id, assigned, *OCTOBER
    )
    await audit_assignments.assign_auditor(supervisor, other.user_id, unassigned, *OCTOBER)

    my_text, their_text = unique("消毒记录缺失"), unique("垃圾分类不规范")
    supervisor_text = unique("走廊地面湿滑")
    my_finding = await _audit_finding(mine, assigned, my_text, clause="WS/T 367-2012 5.1")
    their_finding = await _audit_finding(other, assigned, their_text)
    complaint = await audits.raise_finding(
        supervisor,
        audits.FindingInput(assigned, "complaint", "minor", supervisor_text, supervisor_text),
    )
    my_notice = await audit_notices.issue_notice(supervisor, [my_finding, complaint])
    their_notice = await audit_notices.issue_notice(supervisor, [their_finding])
    await audit_notices.act(vendor, my_notice, "acknowledge")
    await audit_assignments.upload_report(mine, my_assignment, Upload("我的审计报告.pdf", PDF))
    await audit_assignments.upload_report(other, their_assignment, Upload("their.pdf", PDF))
    number = (await audit_notices.get_notice(supervisor, my_notice))["number"]
    their_number = (await audit_notices.get_notice(supervisor, their_notice))["number"]

    async with login(my_name) as c:
        assignments = await c.get("/audits")
        findings = await c.get("/findings?status=")
        exported = await c.get("/findings/export.csv")
        notices = await c.get("/notices")
        notice = await c.get(f"/notices/{my_notice}")
        pdf = await c.get(f"/notices/{my_notice}/notice.pdf")
        statuses = {
            path: (await c.get(path)).status_code
            for path in (
                f"/audits/{my_assignment}/report",
                f"/contracts/{assigned}",
                f"/contracts/{assigned}/scorecard",
                f"/contracts/{assigned}/scorecard?month=2026-10",
                # nothing else
                f"/audits/{their_assignment}/report",
                f"/notices/{their_notice}",
                f"/notices/{their_notice}/notice.pdf",
                f"/contracts/{unassigned}",
                f"/contracts/{unassigned}/scorecard",
                f"/contracts/{assigned}/scorecard?month=2026-12",
                "/contracts",
                f"/contracts/{assigned}/findings/pareto",
                "/vendors",
                "/supervision",
            )
        }
        report = await c.get(f"/audits/{my_assignment}/report")
        acted = await c.post(
            f"/notices/{my_notice}/actions",
            data={
                "_csrf_token": re.search(r'name="_csrf_token" value="([^"]+)"', notice.text)[1],
                "action": "verify_passed",
            },
        )
    assert statuses == {
        f"/audits/{my_assignment}/report": 200,
        f"/contracts/{assigned}": 200,
        f"/contracts/{assigned}/scorecard": 200,
        f"/contracts/{assigned}/scorecard?month=2026-10": 200,
        f"/audits/{their_assignment}/report": 404,
        f"/notices/{their_notice}": 404,
        f"/notices/{their_notice}/notice.pdf": 404,
        f"/contracts/{unassigned}": 404,
        f"/contracts/{unassigned}/scorecard": 404,
        f"/contracts/{assigned}/scorecard?month=2026-12": 422,
        "/contracts": 403,
        f"/contracts/{assigned}/findings/pareto": 403,
        "/vendors": 403,
        "/supervision": 403,
    }
    assert report.content == PDF
    assert f"/audits/{my_assignment}/report" in assignments.text
    assert f"/audits/{their_assignment}/report" not in assignments.text
    assert "第一审计机构" in assignments.text  # by name, not by login name
    assert f"t.{my_name}" not in assignments.text.split("<main", 1)[1]
    # Its own finding, with the follow-up: the notice it is on, acknowledged by the vendor.
    assert my_text in findings.text and f"/notices/{my_notice}" in findings.text
    assert their_text not in findings.text and supervisor_text not in findings.text
    assert my_text in exported.text and their_text not in exported.text
    assert number in notices.text and their_number not in notices.text
    assert my_text in notice.text and "WS/T 367-2012 5.1" in notice.text
    assert "acknowledged" in notice.text
    assert supervisor_text not in notice.text  # the notice's other finding is not its own
    text = re.sub(
        r"\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    )
    assert my_text in text and supervisor_text not in text
    assert acted.status_code == 403  # read-only

    world.tokens[my_name] = (await accounts.create_token(mine, "tests"))[1]
    async with api(my_name) as c:
        listed = (await c.get("/api/findings", params={"status": ""})).json()["items"]
        assert [f["id"] for f in listed] == [my_finding]
        notice_ids = [n["id"] for n in (await c.get("/api/notices")).json()["items"]]
        assert notice_ids == [my_notice]
        assert (await c.get(f"/api/notices/{their_notice}")).status_code == 404
        assert (await c.get(f"/api/contracts/{assigned}")).status_code == 200
        assert (await c.get(f"/api/contracts/{unassigned}")).status_code == 404
    async with login(other_name) as c:  # and the other way round
        theirs = await c.get("/findings?status=")
        assert their_text in theirs.text and my_text not in theirs.text
        assert (await c.get(f"/notices/{my_notice}")).status_code == 404
        assert (await c.get(f"/audits/{my_assignment}/report")).status_code == 404


async def test_an_audit_finding_recorded_on_the_page_says_where_on_the_notice(login, world):
    from tests.conftest import csrf_token
    from tests.integration.test_notice_document import _toilet

    supervisor = world.principals["supervisor"]
    name, auditor = await _auditor(world, "第三审计机构")
    contract_id = await cleaning_contract(world, world.vendor_a)
    assignment = await audit_assignments.assign_auditor(
        supervisor, auditor.user_id, contract_id, *OCTOBER
    )
    place = await _toilet(world)
    text = unique("洗手液缺失")
    async with login(name) as c:
        page = await c.get("/audits")
        assert f'<option value="{place}">' in page.text
        token = await csrf_token(c, "/audits")
        fields = {
            "_csrf_token": token,
            "category": text,
            "description": "三个洗手池均无洗手液",
            "severity": "minor",
            "clause_code": "GB 15982-2012 4.2",
            "found_at": "2026-10-12T09:00",
        }
        bad = await c.post(f"/audits/{assignment}/findings", data={**fields, "location_id": "三楼"})
        recorded = await c.post(
            f"/audits/{assignment}/findings",
            data={**fields, "location_id": str(place)},
            follow_redirects=False,
        )
    assert bad.status_code == 422 and "location_id" in bad.text
    assert recorded.status_code in (302, 303)
    (finding,) = (await lists.finding_page(supervisor, contract_id=contract_id, q=text)).items
    assert finding["place"] == "本部 门诊楼 3楼 卫生间" and finding["source"] == "audit"
    notice_id = await audit_notices.issue_notice(supervisor, [finding["id"]])
    async with login(name) as c:  # the follow-up, printed: where, and which clause
        pdf = await c.get(f"/notices/{notice_id}/notice.pdf")
    printed = re.sub(
        r"\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    )
    assert "门诊楼3楼卫生间" in printed and "GB15982-20124.2" in printed and text in printed
