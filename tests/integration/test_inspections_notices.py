"""Inspections, findings and rectification notices through the API and pages (§5, §6)."""

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from tests.conftest import in_chinese, new_vendor, unique
from vendorgov.audits import assignments as audit_assignments
from vendorgov.audits import lists
from vendorgov.audits import notices as audit_notices
from vendorgov.audits import periods as audit_periods
from vendorgov.audits import service as audits
from vendorgov.audits.tables import Notice, NoticeStep
from vendorgov.contracts import drafting, lifecycle
from vendorgov.contracts.rules import Terms
from vendorgov.contracts.tables import Contract
from vendorgov.settings import get_settings
from vendorgov.sla.measure import Month

WARD_CLEANING = {
    "category": "cleaning",
    "name": "病区保洁日常检查",
    "items": [
        {"key": "floor", "text": "地面无污渍、无积水", "weight": "3", "severity": "minor"},
        {"key": "toilet", "text": "卫生间无异味", "weight": "2", "severity": "major"},
        {"key": "isolation", "text": "隔离病房按规程消毒", "weight": "5", "severity": "critical"},
    ],
}


async def cleaning_contract(world, vendor_id, start=date(2026, 1, 1)) -> int:
    officer = world.principals["procurement"]
    contract_id, version_id = await drafting.create_contract(
        officer,
        drafting.ContractInput(
            number=unique("HT-BJ"),
            title="病区保洁服务合同",
            vendor_id=vendor_id,
            category="cleaning",
            start_date=start,
            end_date=date(2027, 12, 31),
            monthly_fee=Decimal("128000.00"),
        ),
        Terms(effective_from=start, monthly_fee=Decimal("128000.00")),
    )
    await drafting.sign(officer, version_id)
    return contract_id


async def checklist(c) -> int:
    response = await c.post("/api/checklists", json={**WARD_CLEANING, "name": unique("病区保洁")})
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def backdate_notice(notice_id: int, issued: datetime, hours: int) -> None:
    """As if the notice had been issued then, with that many hours to fix it."""
    deadline = issued + timedelta(hours=hours)
    await Notice.update({Notice.issued_at: issued, Notice.deadline: deadline}).where(
        Notice.id == notice_id
    )
    await NoticeStep.update({NoticeStep.at: issued, NoticeStep.deadline: deadline}).where(
        NoticeStep.notice == notice_id
    )


def inspection(contract_id, template_id, results, **extra):
    return {
        "contract_id": contract_id,
        "template_id": template_id,
        "kind": "spot_check",
        "location": "住院部5楼东区",
        "inspected_at": "2026-10-15 10:30",
        "results": results,
        **extra,
    }


async def test_an_inspection_is_scored_and_its_failed_item_raises_one_finding(api, world):
    contract_id = await cleaning_contract(world, world.vendor_a)
    async with api("supervisor") as c:
        template_id = await checklist(c)
        body = inspection(
            contract_id,
            template_id,
            {"floor": "pass", "toilet": "fail", "isolation": "na"},
            notes={"toilet": "男卫生间异味明显"},
            client_token=unique("draft"),
        )
        first = await c.post("/api/inspections", json=body)
        again = await c.post("/api/inspections", json=body)  # the phone re-sends the draft
        stored = await c.get(f"/api/inspections/{first.json()['id']}")
        found = await c.get("/api/findings", params={"contract_id": contract_id})
    assert first.status_code == 201, first.text
    done = first.json()
    assert Decimal(str(done["score"])) == Decimal("60.00")  # 100 × 3 / (3 + 2)
    assert done["created"] is True and len(done["finding_ids"]) == 1
    assert again.json() == {**done, "created": False}
    assert [i["result"] for i in stored.json()["items"]] == ["pass", "fail", "na"]
    (finding,) = found.json()["items"]
    assert finding["severity"] == "major" and finding["description"] == "男卫生间异味明显"
    assert finding["source"] == "inspection" and finding["status"] == "open"


async def test_a_draft_resent_after_its_contract_ended_gets_the_stored_inspection(api, world):
    contract_id = await cleaning_contract(world, world.vendor_a)
    async with api("supervisor") as c:
        template_id = await checklist(c)
        body = inspection(
            contract_id,
            template_id,
            {"floor": "pass", "toilet": "pass", "isolation": "na"},
            client_token=unique("draft"),
        )
        first = await c.post("/api/inspections", json=body)
        await lifecycle.change_status(
            world.principals["procurement"], contract_id, "terminate", "服务商违约，提前终止"
        )
        again = await c.post("/api/inspections", json=body)  # sent again once back online
        fresh = await c.post("/api/inspections", json={**body, "client_token": unique("new")})
    assert first.status_code == 201, first.text
    assert again.status_code == 201 and again.json() == {**first.json(), "created": False}
    assert fresh.status_code == 422 and "contract_id" in fresh.text


async def test_bad_inspections_are_refused_and_nothing_is_stored(api, world):
    contract_id = await cleaning_contract(world, world.vendor_a, start=date(2026, 10, 1))
    async with api("supervisor") as c:
        template_id = await checklist(c)
        missing = await c.post(
            "/api/inspections", json=inspection(contract_id, template_id, {"floor": "pass"})
        )
        too_early = await c.post(
            "/api/inspections",
            json=inspection(
                contract_id,
                template_id,
                {"floor": "pass", "toilet": "pass", "isolation": "pass"},
                inspected_at="2026-09-30 10:00",
            ),
        )
        before = await c.get("/api/findings", params={"contract_id": contract_id})
    async with api("finance") as c:
        not_an_inspector = await c.post(
            "/api/inspections", json=inspection(contract_id, template_id, {})
        )
    assert missing.status_code == 422
    assert {e["field"] for e in missing.json()["errors"]} == {"items.toilet", "items.isolation"}
    assert too_early.status_code == 422
    assert too_early.json()["errors"][0]["rule"] == "in_force"
    assert before.json()["items"] == []
    assert not_an_inspector.status_code == 403


async def test_notice_life_cycle_with_a_failed_verification_and_isolation(api, world):
    contract_id = await cleaning_contract(world, world.vendor_a)
    other_contract = await cleaning_contract(world, await new_vendor(world))
    async with api("supervisor") as c:
        major = (
            await c.post(
                "/api/findings",
                json={
                    "contract_id": contract_id,
                    "source": "complaint",
                    "severity": "major",
                    "description": "患者投诉病房垃圾未及时清运",
                },
            )
        ).json()["id"]
        elsewhere = (
            await c.post(
                "/api/findings",
                json={
                    "contract_id": other_contract,
                    "source": "audit",
                    "severity": "minor",
                    "description": "巡检记录不全",
                },
            )
        ).json()["id"]
        mixed = await c.post("/api/notices", json={"finding_ids": [major, elsewhere]})
        issued = await c.post("/api/notices", json={"finding_ids": [major]})
        twice = await c.post("/api/notices", json={"finding_ids": [major]})
    assert mixed.status_code == 422 and mixed.json()["errors"][0]["rule"] == "one_contract"
    assert issued.status_code == 201 and twice.status_code == 409
    notice_id = issued.json()["id"]

    async with api("vendor") as c:
        seen = (await c.get(f"/api/notices/{notice_id}")).json()
        assert (
            await c.post(f"/api/notices/{notice_id}/actions", json={"action": "acknowledge"})
        ).json() == {"status": "acknowledged"}
        empty = await c.post(f"/api/notices/{notice_id}/actions", json={"action": "respond"})
        answered = await c.post(
            f"/api/notices/{notice_id}/actions",
            json={"action": "respond", "note": "已增加清运频次至每日三次"},
        )
        self_verify = await c.post(
            f"/api/notices/{notice_id}/actions", json={"action": "verify_passed"}
        )
    issued_at = datetime.fromisoformat(seen["issued_at"])
    assert datetime.fromisoformat(seen["deadline"]) - issued_at == timedelta(hours=72)
    assert seen["number"].startswith("ZG-")
    assert empty.status_code == 422 and answered.json() == {"status": "responded"}
    assert self_verify.status_code == 409 and "Only a supervisor" in self_verify.json()["detail"]

    async with api("vendor_b") as c:
        assert (await c.get(f"/api/notices/{notice_id}")).status_code == 404
        hidden = await c.post(f"/api/notices/{notice_id}/actions", json={"action": "acknowledge"})
        assert hidden.status_code == 404
    async with api("evaluator") as c:
        assert (await c.get(f"/api/notices/{notice_id}")).status_code == 403

    async with api("supervisor") as c:
        failed = await c.post(
            f"/api/notices/{notice_id}/actions",
            json={"action": "verify_failed", "note": "复查仍有积存垃圾"},
        )
        reopened = (await c.get(f"/api/notices/{notice_id}")).json()
    assert failed.json() == {"status": "issued"}
    assert datetime.fromisoformat(reopened["deadline"]) > datetime.fromisoformat(seen["deadline"])
    assert [s["action"] for s in reopened["steps"]] == [
        "issue",
        "acknowledge",
        "respond",
        "verify_failed",
    ]
    async with api("vendor") as c:
        await c.post(
            f"/api/notices/{notice_id}/actions", json={"action": "respond", "note": "已整改"}
        )
    async with api("supervisor") as c:
        closed = await c.post(f"/api/notices/{notice_id}/actions", json={"action": "verify_passed"})
    async with api("vendor") as c:
        late = await c.post(
            f"/api/notices/{notice_id}/actions", json={"action": "respond", "note": "补充"}
        )
        findings = (await c.get("/api/findings", params={"contract_id": contract_id})).json()[
            "items"
        ]
    assert closed.json() == {"status": "closed"}
    assert late.status_code == 409 and "closed" in late.json()["detail"]
    assert {f["status"] for f in findings} == {"closed"}


async def test_a_notice_overdue_at_two_month_ends_counts_in_both_months(api, login, world):
    contract_id = await cleaning_contract(world, world.vendor_a)
    supervisor = world.principals["supervisor"]
    finding = await audits.raise_finding(
        supervisor,
        audits.FindingInput(
            contract_id, "audit", "critical", "消毒记录", "第三方审计：消毒记录缺失"
        ),
    )
    notice_id = await audit_notices.issue_notice(supervisor, [finding])
    # As if issued on 20 October (local) and never fixed: its 24-hour deadline passed then.
    zone = get_settings().zone
    issued = datetime(2026, 10, 20, 9, 0, tzinfo=zone).astimezone(UTC)
    await backdate_notice(notice_id, issued, hours=24)
    from vendorgov.audits.tables import Finding

    await Finding.update({Finding.found_at: issued}).where(Finding.id == finding)

    def bounds(text):
        month = Month.parse(text)
        return month.start_utc(zone).to_pydatetime(), month.end_utc(zone).to_pydatetime()

    october = await audit_periods.audit_inputs(contract_id, *bounds("2026-10"))
    november = await audit_periods.audit_inputs(contract_id, *bounds("2026-11"))
    september = await audit_periods.audit_inputs(contract_id, *bounds("2026-09"))
    # October: the critical audit finding (−20) and the notice overdue at month-end (−10).
    assert (october.overdue_notices, october.component) == (1, Decimal(70))
    # November: no new finding, the same notice still overdue (−10).
    assert (november.overdue_notices, november.component) == (1, Decimal(90))
    assert (september.overdue_notices, september.component) == (0, Decimal(100))
    async with api("finance") as c:
        shown = (await c.get(f"/api/contracts/{contract_id}/assessment-inputs/2026-11")).json()
    assert shown["overdue_notices"] == 1 and Decimal(str(shown["audit_component"])) == 90
    # Both sides see the reminder on their dashboard.
    number = (await audit_notices.get_notice(supervisor, notice_id))["number"]
    for role in ("vendor", "supervisor"):
        async with login(role) as c:
            home = (await c.get("/")).text
        assert number in home and "overdue" in home


async def test_pages_issue_a_notice_print_it_and_let_the_vendor_answer(login, world):
    import io

    from pypdf import PdfReader

    from tests.conftest import PNG, csrf_token

    contract_id = await cleaning_contract(world, world.vendor_a)
    finding = await audits.raise_finding(
        world.principals["supervisor"],
        audits.FindingInput(
            contract_id,
            "complaint",
            "critical",
            "手术室地面血迹未清",
            "手术室3号间地面血迹未及时清理",
        ),
    )
    async with login("supervisor") as c:
        listed = await c.get("/findings", params={"contract_id": contract_id})
        assert "手术室地面血迹未清" in listed.text
        token = await csrf_token(c, "/findings")
        issued = await c.post(
            "/notices",
            data={"_csrf_token": token, "finding_id": str(finding)},
            follow_redirects=False,
        )
        assert issued.status_code in (302, 303), issued.text
        page = await c.get(issued.headers["location"])
        notice_id = int(issued.headers["location"].rsplit("/", 1)[1])
        with in_chinese(c):
            pdf = await c.get(f"/notices/{notice_id}/notice.pdf")
    notice = await audit_notices.get_notice(world.principals["supervisor"], notice_id)
    deadline = notice["deadline"].astimezone(get_settings().zone).strftime("%Y-%m-%d %H:%M")
    assert notice["number"] in page.text and deadline in page.text
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    compact = text.replace(" ", "").replace("\n", "")
    assert notice["number"] in compact
    assert "手术室地面血迹未清" in compact and "整改通知单" in compact
    assert deadline.replace(" ", "") in compact

    async with login("vendor") as c:
        assert notice["number"] in (await c.get("/notices")).text
        shown = await c.get(f"/notices/{notice_id}")
        assert "Acknowledge receipt" in shown.text and "Verified: fixed" not in shown.text
        token = await csrf_token(c, f"/notices/{notice_id}")
        await c.post(
            f"/notices/{notice_id}/actions", data={"_csrf_token": token, "action": "acknowledge"}
        )
        await c.post(
            f"/notices/{notice_id}/actions",
            data={"_csrf_token": token, "action": "respond", "note": "已全面清洁消毒并加强巡查"},
            files={"evidence": ("after.png", PNG, "image/png")},
        )
        after = await c.get(f"/notices/{notice_id}")
        proof = re.search(r'href="(/notices/\d+/evidence/[^"]+)"', after.text).group(1)
        assert (await c.get(proof)).headers["content-type"] == "image/png"
    assert "已全面清洁消毒并加强巡查" in after.text and "responded" in after.text
    async with login("vendor_b") as c:
        assert (await c.get(f"/notices/{notice_id}")).status_code == 404
        assert (await c.get(proof)).status_code == 404
        assert notice["number"] not in (await c.get("/notices")).text


async def test_the_phone_form_with_a_photo_sent_twice_stores_one_inspection(login, world):
    from tests.conftest import PNG, csrf_token

    contract_id = await cleaning_contract(world, world.vendor_a)
    template_id = await _template(world)
    number = (await Contract.select(Contract.number).where(Contract.id == contract_id).first())[
        "number"
    ]
    async with login("supervisor") as c:
        # The phone form offers the running contracts a page at a time: found by its number,
        # the only match opens its form.
        found = await c.get("/inspections/new", params={"q": number})
        assert re.search(rf'name="contract_id"[^>]*value="{contract_id}"', found.text)
        form = await c.get(f"/inspections/new?contract_id={contract_id}&template_id={template_id}")
        assert form.status_code == 200
        draft = re.search(r'name="client_token" value="([^"]+)"', form.text).group(1)
        token = await csrf_token(c, f"/inspections/new?contract_id={contract_id}")
        fields = {
            "_csrf_token": token,
            "client_token": draft,
            "contract_id": str(contract_id),
            "template_id": str(template_id),
            "kind": "routine",
            "location": "住院部5楼东区",
            "inspected_at": "2026-10-15T10:30",
            "result_floor": "pass",
            "result_toilet": "fail",
            "result_isolation": "pass",
            "note_toilet": "异味",
        }
        photo = {"photo_toilet": ("toilet.png", PNG, "image/png")}
        first = await c.post("/inspections", data=fields, files=photo, follow_redirects=False)
        second = await c.post("/inspections", data=fields, files=photo, follow_redirects=False)
        assert first.status_code in (302, 303), first.text
        assert second.headers["location"] == first.headers["location"]
        page = await c.get(first.headers["location"])
        photo_path = re.search(r'src="(/inspections/\d+/photos/[^"]+)"', page.text).group(1)
        assert (await c.get(photo_path)).headers["content-type"] == "image/png"
        bad = await c.post(
            "/inspections",
            data={**fields, "client_token": draft + "-2"},
            files={"photo_toilet": ("toilet.png", b"%PDF-1.4 not an image", "image/png")},
        )
        pareto = await c.get(
            f"/contracts/{contract_id}/findings/pareto?month_from=2026-10&month_to=2026-10"
        )
    assert "80.00" in page.text  # 100 × (3 + 5) / (3 + 2 + 5)
    assert bad.status_code == 422 and "photos.toilet" in bad.text
    assert "<svg" in pareto.text and "卫生间无异味" in pareto.text
    async with login("vendor") as c:
        assert (await c.get(photo_path)).status_code == 200
    async with login("vendor_b") as c:
        assert (await c.get(photo_path)).status_code == 404


async def _template(world) -> int:
    from vendorgov.inspections import service as inspections

    return await inspections.save_template(
        world.principals["supervisor"], "cleaning", unique("病区保洁"), WARD_CLEANING["items"]
    )


async def test_an_auditor_works_only_on_its_assigned_contract_and_period(api, world):
    from tests.conftest import PDF

    assigned = await cleaning_contract(world, world.vendor_a)
    other = await cleaning_contract(world, await new_vendor(world))
    auditor_id = world.principals["auditor"].user_id
    async with api("supervisor") as c:
        made = await c.post(
            "/api/audit-assignments",
            json={
                "auditor_id": auditor_id,
                "contract_id": assigned,
                "period_from": "2026-10-01",
                "period_to": "2026-10-31",
            },
        )
        not_an_auditor = await c.post(
            "/api/audit-assignments",
            json={
                "auditor_id": world.principals["finance"].user_id,
                "contract_id": assigned,
                "period_from": "2026-10-01",
                "period_to": "2026-10-31",
            },
        )
    assert made.status_code == 201 and not_an_auditor.status_code == 422
    assignment = made.json()["id"]

    def audit_finding(contract_id, found_at):
        return {
            "contract_id": contract_id,
            "source": "complaint",  # recorded as an audit finding whatever is sent
            "severity": "major",
            "description": "医疗废物暂存点未上锁",
            "found_at": found_at,
        }

    async with api("auditor") as c:
        mine = (await c.get("/api/audit-assignments")).json()["items"]
        recorded = await c.post("/api/findings", json=audit_finding(assigned, "2026-10-20 14:00"))
        outside = await c.post("/api/findings", json=audit_finding(assigned, "2026-11-02 09:00"))
        elsewhere = await c.post("/api/findings", json=audit_finding(other, "2026-10-20 14:00"))
        report = await c.post(
            f"/api/audit-assignments/{assignment}/report",
            files={"file": ("审计报告.pdf", PDF, "application/pdf")},
        )
        refused = [
            (await c.get(path)).status_code
            for path in ("/api/vendors", f"/api/contracts/{assigned}/assessment-inputs/2026-10")
        ]
        # Read-only, what the audit needs (test_auditor_access has the whole walk).
        readable = [
            (await c.get(path)).status_code
            for path in ("/api/findings", "/api/notices", f"/api/contracts/{assigned}")
        ]
    # (Other tests assign the shared auditor account too: only this test's two contracts count.)
    assert [a["contract"] for a in mine if a["contract"] in (assigned, other)] == [assigned]
    assert recorded.status_code == 201
    assert outside.status_code == 422 and outside.json()["errors"][0]["rule"] == "in_period"
    assert elsewhere.status_code == 404
    assert report.status_code == 200
    assert refused == [403] * 2 and readable == [200] * 3
    found = (await lists.finding_page(world.principals["supervisor"], contract_id=assigned)).items
    assert [(f["source"], f["created_by"]) for f in found] == [("audit", "t.auditor")]
    assert (await lists.finding_page(world.principals["supervisor"], contract_id=other)).items == []
    async with api("vendor") as c:
        # Another party cannot upload the agency's report.
        assert (
            await c.post(
                f"/api/audit-assignments/{assignment}/report",
                files={"file": ("x.pdf", PDF, "application/pdf")},
            )
        ).status_code == 403


async def test_the_auditor_pages_show_only_its_assignments(login, world):
    from tests.conftest import PDF, csrf_token

    contract_id = await cleaning_contract(world, world.vendor_a)
    supervisor = world.principals["supervisor"]
    mine = await audit_assignments.assign_auditor(
        supervisor,
        world.principals["auditor"].user_id,
        contract_id,
        date(2026, 11, 1),
        date(2026, 11, 30),
    )
    async with login("auditor") as c:
        page = await c.get("/audits")
        assert page.status_code == 200 and f"/audits/{mine}/findings" in page.text
        token = await csrf_token(c, "/audits")
        recorded = await c.post(
            f"/audits/{mine}/findings",
            data={
                "_csrf_token": token,
                "category": "保洁人员未持证上岗",
                "description": "抽查3人中1人无健康证",
                "severity": "major",
                "found_at": "2026-11-10T10:00",
            },
            follow_redirects=False,
        )
        uploaded = await c.post(
            f"/audits/{mine}/report",
            data={"_csrf_token": token},
            files={"report": ("report.pdf", PDF, "application/pdf")},
            follow_redirects=False,
        )
        after = await c.get("/audits")
        nowhere = await c.post(
            f"/audits/{mine + 999}/findings",
            data={"_csrf_token": token, "category": "x", "description": "x", "severity": "minor"},
        )
        assert "保洁人员未持证上岗" in (await c.get("/findings?status=")).text
        assert (await c.get(f"/contracts/{contract_id}")).status_code == 200
        assert (await c.get("/vendors")).status_code == 403
    assert recorded.status_code in (302, 303) and uploaded.status_code in (302, 303)
    assert "report uploaded" in after.text
    assert nowhere.status_code == 404
    found = (await lists.finding_page(supervisor, contract_id=contract_id)).items
    assert [(f["source"], f["category"]) for f in found] == [("audit", "保洁人员未持证上岗")]
