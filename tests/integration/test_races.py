"""State changes raced by real concurrent requests (issue 12): the loser of two identical
changes gets 409 saying what changed, nothing is lost or done twice, and the copies of one
offline inspection draft all get the inspection stored first. On SQLite write transactions run
one at a time anyway; on PostgreSQL (VENDORGOV_TEST_DATABASE_URL) these requests really race."""

import asyncio
from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.conftest import PDF, new_vendor, random_uscc, unique
from tests.integration.test_inspections_notices import (
    WARD_CLEANING,
    checklist,
    cleaning_contract,
    inspection,
)
from vendorgov.audit import service as audit
from vendorgov.audits import assignments as audit_assignments
from vendorgov.audits import notices as audit_notices
from vendorgov.audits import service as audits
from vendorgov.audits.tables import Finding, Notice
from vendorgov.contracts import drafting as contract_drafting
from vendorgov.contracts.tables import ContractVersion
from vendorgov.files.service import Upload
from vendorgov.inspections.tables import ChecklistTemplate, Inspection
from vendorgov.vendors import qualifications as vendor_qualifications
from vendorgov.vendors import registry as vendor_registry
from vendorgov.vendors import service as vendors
from vendorgov.vendors.rules import QualificationInput


async def race(*requests):
    """Send the requests at the same moment; their status codes, sorted, and the responses."""
    responses = await asyncio.gather(*requests)
    return sorted(r.status_code for r in responses), responses


def loser(responses):
    (refused,) = [r for r in responses if r.status_code >= 400]
    return refused


async def actions(entity: str, entity_id: int) -> list[str]:
    return [e["action"] for e in await audit.history(entity, entity_id)]


# --- vendors ---------------------------------------------------------------------------------


async def test_vendors_created_at_once_commit_together_and_a_duplicate_loses_alone(api, world):
    """On PostgreSQL vendor creates arriving together share one transaction (group_commit):
    one of them breaking the unique USCC must fail alone, every other be stored with its
    audit entry, and the chain stay intact."""
    shared = random_uscc()
    bodies = [
        {"name": unique("同时登记"), "uscc": random_uscc(), "categories": ["cleaning"]}
        for _ in range(20)
    ]
    bodies[5]["uscc"] = bodies[13]["uscc"] = shared
    async with api("procurement") as c:
        responses = await asyncio.gather(*[c.post("/api/vendors", json=b) for b in bodies])
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] * 19 + [409], [r.text for r in responses if r.status_code != 201]
    refused = loser(responses)
    assert {(e["field"], e["rule"]) for e in refused.json()["errors"]} == {("uscc", "unique")}
    # The one stored first (whichever of the two) is named as the holder.
    holder = next(
        b["name"]
        for b, r in zip(bodies, responses, strict=True)
        if r is not refused and b["uscc"] == shared
    )
    assert holder in refused.json()["detail"]
    created = [r.json()["id"] for r in responses if r.status_code == 201]
    assert len(set(created)) == 19
    for vendor_id in created:
        assert await actions("vendor", vendor_id) == ["create"]
    assert (await audit.verify()).intact


async def test_two_saves_of_a_vendor_from_one_revision_lose_nothing(api, world):
    vendor_id = await new_vendor(world)
    async with api("procurement") as c:
        revision = (await c.get(f"/api/vendors/{vendor_id}")).json()["revision"]
        codes, responses = await race(
            c.patch(
                f"/api/vendors/{vendor_id}",
                json={"phone": "027-85726114", "revision": revision},
            ),
            c.patch(
                f"/api/vendors/{vendor_id}",
                json={"address": "武汉市江汉区解放大道1277号", "revision": revision},
            ),
        )
        stored = (await c.get(f"/api/vendors/{vendor_id}")).json()
    assert codes == [200, 409], [r.text for r in responses]
    refused = loser(responses)
    assert "revision" in refused.text
    won = next(r for r in responses if r.status_code == 200)
    assert stored["revision"] == won.json()["revision"] == revision + 1
    assert (stored["phone"], stored["address"]).count("") == 1  # exactly one edit, kept
    kept = "Phone" if stored["phone"] else "Address"
    assert kept in refused.json()["detail"]  # the refusal says what the other save changed
    assert (await actions("vendor", vendor_id)).count("update") == 1


async def _status_race(api, vendor_id, body):
    async with api("procurement") as c:
        return await race(
            c.post(f"/api/vendors/{vendor_id}/status", json=body),
            c.post(f"/api/vendors/{vendor_id}/status", json=body),
        )


async def test_two_suspensions_at_once_each_see_the_other(api, world):
    """Suspending a suspended vendor changes the suspension, so both succeed; the same one sent
    twice is recorded once, and of two different ones the second records the first as what it
    replaced (nothing decided on a stale read)."""
    vendor_id = await new_vendor(world)
    until = vendors.today() + timedelta(days=30)
    same = {"action": "suspend", "reason": "消防检查不合格", "until": until.isoformat()}
    codes, responses = await _status_race(api, vendor_id, same)
    assert codes == [200, 200], [r.text for r in responses]
    assert (await actions("vendor", vendor_id)).count("suspend") == 1

    other = await new_vendor(world)
    longer = {
        **same,
        "reason": "消防复查仍不合格",
        "until": (until + timedelta(days=30)).isoformat(),
    }
    async with api("procurement") as c:
        codes, responses = await race(
            c.post(f"/api/vendors/{other}/status", json=same),
            c.post(f"/api/vendors/{other}/status", json=longer),
        )
    assert codes == [200, 200], [r.text for r in responses]
    first, second = sorted(
        [e for e in await audit.history("vendor", other) if e["action"] == "suspend"],
        key=lambda e: e["id"],
    )[-2:]
    assert second["before"] == first["after"]


async def test_two_blacklistings_at_once_blacklist_once(api, world):
    vendor_id = await new_vendor(world)
    codes, responses = await _status_race(
        api, vendor_id, {"action": "blacklist", "reason": "提供虚假资质材料"}
    )
    assert codes == [200, 409], [r.text for r in responses]
    assert "blacklisted" in loser(responses).json()["detail"]
    assert (await actions("vendor", vendor_id)).count("blacklist") == 1


async def test_two_reinstatements_at_once_reinstate_once(api, world):
    vendor_id = await new_vendor(world)
    await vendor_registry.change_status(
        world.principals["procurement"], vendor_id, "blacklist", "提供虚假资质材料"
    )
    codes, responses = await _status_race(
        api, vendor_id, {"action": "reinstate", "reason": "复议后撤销处理"}
    )
    assert codes == [200, 409], [r.text for r in responses]
    assert "active" in loser(responses).json()["detail"]
    assert (await actions("vendor", vendor_id)).count("reinstate") == 1


async def test_a_qualification_removed_twice_at_once_is_removed_once(api, world):
    vendor_id = await new_vendor(world)
    qualification_id = await vendor_qualifications.add_qualification(
        world.principals["procurement"],
        vendor_id,
        QualificationInput(
            kind="business_licence",
            number=unique("QL"),
            issued_on=date(2024, 1, 1),
            expires_on=date(2030, 1, 1),
        ),
        Upload("licence.pdf", PDF),
    )
    async with api("procurement") as c:
        path = f"/api/vendors/{vendor_id}/qualifications/{qualification_id}"
        codes, responses = await race(c.delete(path), c.delete(path))
    # The second finds it gone: 404, and no second removal in the trail.
    assert codes == [200, 404], [r.text for r in responses]
    assert (await actions("vendor", vendor_id)).count("remove_qualification") == 1


async def test_two_primary_contacts_added_at_once_leave_one_primary(api, world):
    vendor_id = await new_vendor(world)
    async with api("procurement") as c:
        path = f"/api/vendors/{vendor_id}/contacts"
        codes, responses = await race(
            c.post(path, json={"name": "王建国", "phone": "13871234567", "is_primary": True}),
            c.post(path, json={"name": "刘芳", "phone": "13907654321", "is_primary": True}),
        )
        stored = (await c.get(f"/api/vendors/{vendor_id}")).json()["contacts"]
    assert codes == [201, 201], [r.text for r in responses]
    assert len(stored) == 2 and [p["is_primary"] for p in stored].count(True) == 1


# --- contracts -------------------------------------------------------------------------------


async def _draft_contract(world) -> tuple[int, str]:
    number = unique("HT-RACE")
    contract_id, _ = await contract_drafting.create_contract(
        world.principals["procurement"],
        contract_drafting.ContractInput(
            number=number,
            title="门诊保洁服务合同",
            vendor_id=world.vendor_a,
            category="cleaning",
            start_date=date(2026, 1, 1),
            end_date=date(2027, 12, 31),
            monthly_fee=Decimal("98000.00"),
        ),
    )
    return contract_id, number


async def test_two_saves_of_a_draft_from_one_revision_lose_nothing(api, world):
    contract_id, _ = await _draft_contract(world)
    async with api("procurement") as c:
        path = f"/api/contracts/{contract_id}/versions/1"
        codes, responses = await race(
            c.put(
                path,
                json={"effective_from": "2026-01-01", "monthly_fee": "99000.00", "revision": 1},
            ),
            c.put(
                path,
                json={"effective_from": "2026-01-01", "monthly_fee": "97500.00", "revision": 1},
            ),
        )
        stored = (await c.get(f"/api/contracts/{contract_id}")).json()["versions"][0]
    assert codes == [200, 409], [r.text for r in responses]
    detail = loser(responses).json()["detail"]
    assert "revision" in detail and "Monthly fee" in detail  # what the other save changed
    won = next(r for r in responses if r.status_code == 200)
    assert stored["revision"] == won.json()["revision"] == 2
    assert Decimal(str(stored["terms"]["monthly_fee"])) in (Decimal("99000"), Decimal("97500"))
    version_id = stored["id"]
    assert (await actions("contract_version", version_id)).count("update") == 1


async def test_two_signatures_at_once_sign_once(api, world):
    contract_id, _ = await _draft_contract(world)
    async with api("procurement") as c:
        path = f"/api/contracts/{contract_id}/versions/1/sign"
        codes, responses = await race(c.post(path), c.post(path))
    assert codes == [200, 409], [r.text for r in responses]
    assert "signed" in loser(responses).json()["detail"]
    assert (await actions("contract", contract_id)).count("sign_version") == 1


async def test_two_amendments_at_once_make_one_draft(api, world):
    contract_id = await cleaning_contract(world, world.vendor_a)
    async with api("procurement") as c:
        body = {"reason": "增加夜间保洁班次", "effective_from": "2026-12-01"}
        path = f"/api/contracts/{contract_id}/amendments"
        codes, responses = await race(c.post(path, json=body), c.post(path, json=body))
    assert codes == [201, 409], [r.text for r in responses]
    assert "draft version exists" in loser(responses).json()["detail"]
    drafts = await ContractVersion.count().where(
        (ContractVersion.contract == contract_id) & (ContractVersion.status == "draft")
    )
    assert drafts == 1


async def test_two_suspensions_of_a_contract_at_once_suspend_once(api, world):
    contract_id = await cleaning_contract(world, world.vendor_a)
    async with api("procurement") as c:
        body = {"action": "suspend", "reason": "服务严重不达标，暂停执行"}
        path = f"/api/contracts/{contract_id}/status"
        codes, responses = await race(c.post(path, json=body), c.post(path, json=body))
    assert codes == [200, 409], [r.text for r in responses]
    assert "suspended" in loser(responses).json()["detail"]
    assert (await actions("contract", contract_id)).count("suspend") == 1


async def test_two_contracts_with_one_number_at_once_make_one(api, world):
    number = unique("HT-SAME")
    body = {
        "number": number,
        "title": "电梯维保服务合同",
        "vendor_id": world.vendor_a,
        "category": "cleaning",
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "monthly_fee": "30000.00",
    }
    async with api("procurement") as c:
        codes, responses = await race(
            c.post("/api/contracts", json=body), c.post("/api/contracts", json=body)
        )
    assert codes == [201, 409], [r.text for r in responses]
    assert number in loser(responses).json()["detail"]


# --- inspections -----------------------------------------------------------------------------


# With a failed item the inspection, its finding and both audit entries are written in one
# transaction; without, on PostgreSQL, the inspection and its entry are one statement.
@pytest.mark.parametrize("floor", ["fail", "pass"])
async def test_fifty_copies_of_one_offline_draft_store_one_inspection(api, world, floor):
    contract_id = await cleaning_contract(world, world.vendor_a)
    async with api("supervisor") as c:
        template_id = await checklist(c)
        body = inspection(
            contract_id,
            template_id,
            {"floor": floor, "toilet": "pass", "isolation": "pass"},
            client_token=unique("offline-draft"),
        )
        responses = await asyncio.gather(
            *[c.post("/api/inspections", json=body) for _ in range(50)]
        )
    assert {r.status_code for r in responses} == {201}, [r.text for r in responses][:3]
    answers = [r.json() for r in responses]
    assert len({a["id"] for a in answers}) == 1
    assert sum(a["created"] for a in answers) == 1
    assert len({tuple(a["finding_ids"]) for a in answers}) == 1
    assert await Inspection.count().where(Inspection.contract == contract_id) == 1
    assert await Finding.count().where(Finding.contract == contract_id) == (floor == "fail")
    (inspection_id,) = {a["id"] for a in answers}
    assert len(await audit.history("inspection", inspection_id)) == 1
    assert (await audit.verify()).intact


async def test_two_saves_of_one_checklist_at_once_make_two_versions(api, world):
    name = unique("门诊保洁检查")
    async with api("supervisor") as c:
        codes, responses = await race(
            *[c.post("/api/checklists", json={**WARD_CLEANING, "name": name}) for _ in range(2)]
        )
    assert codes == [201, 201], [r.text for r in responses]
    rows = await ChecklistTemplate.select().where(ChecklistTemplate.name == name)
    assert sorted(r["version"] for r in rows) == [1, 2]
    assert [r["version"] for r in rows if r["active"]] == [2]


# --- rectification notices -------------------------------------------------------------------


async def _findings(world, contract_id: int, n: int = 1) -> list[int]:
    return [
        await audits.raise_finding(
            world.principals["supervisor"],
            audits.FindingInput(
                contract_id=contract_id,
                source="inspection",
                severity="major",
                category="病区走廊",
                description=f"走廊地面有积水 {i}",
            ),
        )
        for i in range(n)
    ]


async def _notice(world, *steps: str) -> int:
    """An issued notice of vendor A's contract, moved through the given actions."""
    contract_id = await cleaning_contract(world, world.vendor_a)
    notice_id = await audit_notices.issue_notice(
        world.principals["supervisor"], await _findings(world, contract_id)
    )
    for step in steps:
        who = "vendor" if step in ("acknowledge", "respond") else "supervisor"
        await audit_notices.act(world.principals[who], notice_id, step, note="已安排专人清理")
    return notice_id


async def _act_race(api, role, notice_id, first, second=None):
    async with api(role) as c:
        path = f"/api/notices/{notice_id}/actions"
        return await race(c.post(path, json=first), c.post(path, json=second or first))


async def test_one_finding_put_on_two_notices_at_once_is_on_one(api, world):
    contract_id = await cleaning_contract(world, world.vendor_a)
    finding_ids = await _findings(world, contract_id, 2)
    async with api("supervisor") as c:
        codes, responses = await race(
            c.post("/api/notices", json={"finding_ids": finding_ids}),
            c.post("/api/notices", json={"finding_ids": finding_ids[::-1]}),
        )
    assert codes == [201, 409], [r.text for r in responses]
    assert "already on a notice" in loser(responses).json()["detail"]
    assert await Notice.count().where(Notice.contract == contract_id) == 1


async def test_two_notices_issued_at_once_get_different_numbers(api, world):
    first = await cleaning_contract(world, world.vendor_a)
    second = await cleaning_contract(world, world.vendor_a)
    async with api("supervisor") as c:
        codes, responses = await race(
            c.post("/api/notices", json={"finding_ids": await _findings(world, first)}),
            c.post("/api/notices", json={"finding_ids": await _findings(world, second)}),
        )
    assert codes == [201, 201], [r.text for r in responses]
    numbers = [(await audit_notices._notice_row(r.json()["id"]))["number"] for r in responses]
    assert numbers[0] != numbers[1]


async def test_two_acknowledgements_at_once_acknowledge_once(api, world):
    notice_id = await _notice(world)
    codes, responses = await _act_race(api, "vendor", notice_id, {"action": "acknowledge"})
    assert codes == [200, 409], [r.text for r in responses]
    assert "acknowledged" in loser(responses).json()["detail"]
    assert (await actions("notice", notice_id)).count("acknowledge") == 1


async def test_two_responses_at_once_respond_once(api, world):
    notice_id = await _notice(world, "acknowledge")
    codes, responses = await _act_race(
        api,
        "vendor",
        notice_id,
        {"action": "respond", "note": "已清理积水并加设防滑警示牌"},
        {"action": "respond", "note": "已更换拖布并培训保洁员"},
    )
    assert codes == [200, 409], [r.text for r in responses]
    assert "responded" in loser(responses).json()["detail"]
    assert (await actions("notice", notice_id)).count("respond") == 1


async def test_verified_fixed_twice_at_once_closes_once(api, world):
    notice_id = await _notice(world, "acknowledge", "respond")
    codes, responses = await _act_race(api, "supervisor", notice_id, {"action": "verify_passed"})
    assert codes == [200, 409], [r.text for r in responses]
    assert "closed" in loser(responses).json()["detail"]
    assert (await actions("notice", notice_id)).count("verify_passed") == 1


async def test_verified_not_fixed_twice_at_once_counts_once(api, world):
    notice_id = await _notice(world, "acknowledge", "respond")
    codes, responses = await _act_race(
        api, "supervisor", notice_id, {"action": "verify_failed", "note": "复查仍有积水"}
    )
    assert codes == [200, 409], [r.text for r in responses]
    assert "Issued" in loser(responses).json()["detail"]
    assert (await actions("notice", notice_id)).count("verify_failed") == 1


async def test_fixed_and_not_fixed_at_once_one_verdict_stands(api, world):
    notice_id = await _notice(world, "acknowledge", "respond")
    codes, responses = await _act_race(
        api,
        "supervisor",
        notice_id,
        {"action": "verify_passed"},
        {"action": "verify_failed", "note": "复查仍有积水"},
    )
    assert codes == [200, 409], [r.text for r in responses]
    trail = await actions("notice", notice_id)
    assert trail.count("verify_passed") + trail.count("verify_failed") == 1


async def _grade_draft(world) -> int:
    contract_id = await cleaning_contract(world, world.vendor_a)
    (notice_id,) = await audit_notices.draft_grade_notices(
        world.principals["finance"],
        run_id=10**6 + contract_id,
        month="2026-10",
        outcomes=[audit_notices.GradeOutcome(contract_id, Decimal("55.40"), "D")],
    )
    return notice_id


async def test_a_d_grade_draft_issued_twice_at_once_is_issued_once(api, world):
    notice_id = await _grade_draft(world)
    codes, responses = await _act_race(
        api,
        "supervisor",
        notice_id,
        {"action": "issue", "severity": "major"},
        {"action": "issue", "severity": "critical"},
    )
    assert codes == [200, 409], [r.text for r in responses]
    assert "Issued" in loser(responses).json()["detail"]
    assert (await actions("notice", notice_id)).count("issue") == 1


async def test_a_d_grade_draft_issued_and_discarded_at_once_gets_one_fate(api, world):
    notice_id = await _grade_draft(world)
    codes, responses = await _act_race(
        api,
        "supervisor",
        notice_id,
        {"action": "issue", "severity": "major"},
        {"action": "discard", "note": "当月已另行约谈，不再发文"},
    )
    assert codes == [200, 409], [r.text for r in responses]
    trail = await actions("notice", notice_id)
    assert trail.count("issue") + trail.count("discard") == 1


async def test_a_d_grade_draft_discarded_twice_at_once_is_discarded_once(api, world):
    notice_id = await _grade_draft(world)
    codes, responses = await _act_race(
        api, "supervisor", notice_id, {"action": "discard", "note": "当月已另行约谈，不再发文"}
    )
    assert codes == [200, 409], [r.text for r in responses]
    assert "discarded" in loser(responses).json()["detail"]
    assert (await actions("notice", notice_id)).count("discard") == 1


# --- third-party audit assignments -----------------------------------------------------------


async def test_one_assignment_sent_twice_at_once_is_made_once(api, world):
    contract_id = await cleaning_contract(world, world.vendor_a)
    body = {
        "auditor_id": world.principals["auditor"].user_id,
        "contract_id": contract_id,
        "period_from": "2026-07-01",
        "period_to": "2026-09-30",
    }
    async with api("supervisor") as c:
        codes, responses = await race(
            c.post("/api/audit-assignments", json=body),
            c.post("/api/audit-assignments", json={**body, "period_from": "2026-08-01"}),
        )
    assert codes == [201, 409], [r.text for r in responses]
    refused = loser(responses).json()
    assert "already assigned" in refused["detail"]
    from vendorgov.audits.tables import AuditAssignment

    assert await AuditAssignment.count().where(AuditAssignment.contract == contract_id) == 1


async def test_two_report_uploads_at_once_each_record_what_they_replaced(api, world):
    contract_id = await cleaning_contract(world, world.vendor_a)
    assignment_id = await audit_assignments.assign_auditor(
        world.principals["supervisor"],
        world.principals["auditor"].user_id,
        contract_id,
        date(2026, 4, 1),
        date(2026, 6, 30),
    )
    async with api("auditor") as c:
        path = f"/api/audit-assignments/{assignment_id}/report"
        codes, responses = await race(
            c.post(path, files={"file": ("审计报告.pdf", PDF, "application/pdf")}),
            c.post(path, files={"file": ("审计报告-修订.pdf", PDF, "application/pdf")}),
        )
    assert codes == [200, 200], [r.text for r in responses]
    first, second = sorted(
        await audit.history("audit_assignment", assignment_id), key=lambda e: e["id"]
    )[-2:]
    assert first["before"] == {"report_file": None}
    assert second["before"]["report_file"] == first["after"]["report_file"]
