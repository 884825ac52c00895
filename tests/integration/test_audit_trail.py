"""The audit trail records every change and detects tampering (issue: foundation)."""

import os
import subprocess
import sys

from tests.conftest import new_vendor
from vendorgov.audit import service as audit
from vendorgov.audit.tables import AuditEntry


async def test_vendor_changes_are_recorded_with_before_and_after(api, world):
    async with api("procurement") as c:
        created = await c.post(
            "/api/vendors",
            json={
                "name": "武汉审计测试物业有限公司",
                "uscc": "91110108551385082Q",
                "categories": ["porter"],
            },
        )
        assert created.status_code == 201, created.text
        vendor_id = created.json()["id"]
        changed = await c.patch(f"/api/vendors/{vendor_id}", json={"phone": "027-8888 0000"})
        assert changed.status_code == 200, changed.text
        history = (await c.get(f"/api/vendors/{vendor_id}/history")).json()
    assert [h["action"] for h in history] == ["update", "create"]
    update = history[0]
    assert update["actor"] == "t.procurement"
    assert update["before"]["phone"] == "" and update["after"]["phone"] == "027-8888 0000"
    assert history[1]["before"] is None and history[1]["after"]["uscc"] == "91110108551385082Q"


async def _tamper(entry_id: int, **values):
    await AuditEntry.update({getattr(AuditEntry, k): v for k, v in values.items()}).where(
        AuditEntry.id == entry_id
    )


def _cli_verify() -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "vendorgov.cli", "audit", "verify"],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=120,
    )


async def test_tampering_is_reported_at_the_first_broken_link(world, login):
    vendor_id = await new_vendor(world, name="武汉篡改检测保洁有限公司")
    assert (await audit.verify()).intact
    target = (await audit.history("vendor", vendor_id))[0]
    original = target["after"]
    await _tamper(target["id"], after='{"name":"someone else"}')
    try:
        result = await audit.verify()
        assert not result.intact
        assert result.first_break.entry_id == target["id"]
        cli = _cli_verify()
        assert cli.returncode == 1
        assert f"entry {target['id']}" in cli.stderr
        async with login("admin") as c:
            page = await c.get("/audit?verify=true")
        assert f"Broken at entry #{target['id']}" in page.text
    finally:
        from vendorgov.audit.chain import canonical_json

        await _tamper(target["id"], after=canonical_json(original))
    assert (await audit.verify()).intact
    assert _cli_verify().returncode == 0


async def test_deleting_an_entry_is_detected(world):
    vendor_id = await new_vendor(world)
    await new_vendor(world)  # an entry after it, whose prev_hash then points at nothing
    entry = (await audit.history("vendor", vendor_id))[0]
    row = await AuditEntry.select().where(AuditEntry.id == entry["id"]).first()
    await AuditEntry.delete().where(AuditEntry.id == entry["id"])
    try:
        result = await audit.verify()
        assert not result.intact and "removed" in result.first_break.reason
    finally:
        await AuditEntry.insert(AuditEntry(**row))
    assert (await audit.verify()).intact


async def test_audit_api_and_page_are_for_administrators_only(api, login):
    async with api("admin") as c:
        body = (await c.get("/api/audit/verify")).json()
        assert body["intact"] is True and body["checked"] > 0
    async with api("procurement") as c:
        assert (await c.get("/api/audit/verify")).status_code == 403
    async with login("finance") as c:
        assert (await c.get("/audit")).status_code == 403
