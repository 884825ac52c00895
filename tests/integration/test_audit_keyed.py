"""The audit trail is keyed with the installation secret, and checkpoints kept elsewhere show
a trail cut back (issue 12): someone who can write the database can neither edit an entry and
recompute the chain nor delete the newest entries unnoticed."""

import json
import os
import subprocess
import sys

from tests.conftest import csrf_token, new_vendor
from vendorgov.audit import service as audit
from vendorgov.audit.chain import CHECKPOINT_LABEL, derive_key, entry_hash, sign
from vendorgov.audit.tables import AuditEntry


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "vendorgov.cli", "audit", *args],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=120,
    )


async def _rows_from(entry_id: int) -> list[dict]:
    return await AuditEntry.select().where(AuditEntry.id >= entry_id).order_by(AuditEntry.id)


async def _put_back(rows: list[dict]) -> None:
    await AuditEntry.delete().where(AuditEntry.id >= rows[0]["id"])
    await AuditEntry.insert(*[AuditEntry(**row) for row in rows])


async def _rechain_without_the_key(rows: list[dict]) -> None:
    """Recompute every hash from the first row on, as plain SHA-256 marked keyed (the old,
    unkeyed scheme)."""
    prev = rows[0]["prev_hash"]
    for row in rows:
        fields = {k: row[k] for k in row if k not in ("id", "hash", "keyed", "prev_hash")}
        new_hash = entry_hash(**fields, prev_hash=prev, key=None)
        await AuditEntry.update({AuditEntry.prev_hash: prev, AuditEntry.hash: new_hash}).where(
            AuditEntry.id == row["id"]
        )
        prev = new_hash


async def test_entries_are_keyed_and_a_clean_trail_passes(world, api):
    vendor_id = await new_vendor(world)
    entry = (await audit.history("vendor", vendor_id))[0]
    assert entry["keyed"] is True
    plain = entry_hash(
        **{k: entry[k] for k in ("at", "actor_id", "actor", "entity", "entity_id", "action")},
        before=None,
        after=json.dumps(entry["after"], ensure_ascii=False, sort_keys=True, separators=(",", ":")),
        prev_hash=entry["prev_hash"],
        key=None,
    )
    assert entry["hash"] != plain  # not the unkeyed SHA-256 any more
    assert (await audit.verify()).intact
    async with api("admin") as c:
        assert (await c.get("/api/audit/verify")).json()["intact"] is True


async def test_an_edit_rechained_without_the_key_is_found(world, login, api):
    vendor_id = await new_vendor(world)
    await new_vendor(world)  # entries after the edited one, re-chained too
    target = (await audit.history("vendor", vendor_id))[0]
    saved = await _rows_from(target["id"])
    await AuditEntry.update({AuditEntry.after: '{"name":"someone else"}'}).where(
        AuditEntry.id == target["id"]
    )
    await _rechain_without_the_key(await _rows_from(target["id"]))
    try:
        result = await audit.verify()
        assert not result.intact and result.first_break.entry_id == target["id"]
        assert "without the key" in result.first_break.reason
        cli = _cli("verify")
        assert cli.returncode == 1 and f"entry {target['id']}" in cli.stderr
        async with login("admin") as c:
            page = await c.get("/audit?verify=true")
        assert f"Broken at entry #{target['id']}" in page.text
        async with api("admin") as c:
            body = (await c.get("/api/audit/verify")).json()
        assert body["intact"] is False and body["first_broken_entry"] == target["id"]
        # No checkpoint of a broken trail.
        assert _cli("checkpoint", os.devnull).returncode == 1
    finally:
        await _put_back(saved)
    assert (await audit.verify()).intact


async def _page_verify(login, checkpoint: bytes):
    async with login("admin") as c:
        token = await csrf_token(c, "/audit")
        return await c.post(
            "/audit/verify",
            data={"_csrf_token": token},
            files={"checkpoint": ("checkpoint.json", checkpoint, "application/json")},
        )


async def test_truncation_after_a_checkpoint_is_found(world, tmp_path, login):
    first = await new_vendor(world)
    await new_vendor(world)
    checkpoint = tmp_path / "checkpoint.json"
    written = _cli("checkpoint", str(checkpoint))
    assert written.returncode == 0, written.stderr
    last_id = json.loads(checkpoint.read_text())["last_id"]
    cut_from = (await audit.history("vendor", first))[0]["id"]
    saved = await _rows_from(cut_from)
    await AuditEntry.delete().where(AuditEntry.id >= cut_from)
    try:
        assert (await audit.verify()).intact  # the chain alone cannot tell
        result = await audit.verify(audit.read_checkpoint(checkpoint.read_text()))
        assert result.first_break.entry_id == last_id and "truncated" in result.first_break.reason
        cli = _cli("verify", "--checkpoint", str(checkpoint))
        assert cli.returncode == 1 and f"entry {last_id}" in cli.stderr, cli.stderr
        page = await _page_verify(login, checkpoint.read_bytes())
        assert f"Broken at entry #{last_id}" in page.text
    finally:
        await _put_back(saved)
    await new_vendor(world)  # the trail grows on after a checkpoint: still fine
    cli = _cli("verify", "--checkpoint", str(checkpoint))
    assert cli.returncode == 0 and "intact" in cli.stdout, cli.stderr
    page = await _page_verify(login, checkpoint.read_bytes())
    assert page.status_code == 200 and f"entry #{last_id} is as the checkpoint" in page.text


async def test_a_forged_checkpoint_is_refused(world, tmp_path, login):
    await new_vendor(world)
    path = tmp_path / "checkpoint.json"
    assert _cli("checkpoint", str(path)).returncode == 0
    genuine = json.loads(path.read_text())
    forged = {**genuine, "last_id": genuine["last_id"] - 1}
    path.write_text(json.dumps(forged))
    cli = _cli("verify", "--checkpoint", str(path))
    assert cli.returncode == 1 and "signature does not match" in cli.stderr
    page = await _page_verify(login, path.read_bytes())
    assert page.status_code == 422 and "signature does not match" in page.text
    # Signed, but with a key guessed rather than this installation's.
    fields = {k: forged[k] for k in ("last_id", "hash", "at")}
    forged["signature"] = sign(derive_key("a guess", CHECKPOINT_LABEL), fields)
    path.write_text(json.dumps(forged))
    assert _cli("verify", "--checkpoint", str(path)).returncode == 1
    path.write_text("not json")
    cli = _cli("verify", "--checkpoint", str(path))
    assert cli.returncode == 1 and "not an audit checkpoint" in cli.stderr
