"""Backup and restore (issue 12) on the test database's kind (SQLite, or PostgreSQL when
VENDORGOV_TEST_DATABASE_URL is set): a restore into a fresh data dir and database has the same
rows, an audit trail that verifies, and sealed bids that still open; without the original key
a sealed tender answers 409, not 500."""

import json
import os
import secrets
import stat
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.conftest import IS_POSTGRES
from tests.integration.test_tenders import bid, bidder, pass_deadline, proposal, published
from vendorgov import db
from vendorgov.settings import get_settings
from vendorgov.tenders import common

PRICES = ["700000.00", "710000.00", "720000.00"]


def _cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "vendorgov.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
    )


@pytest.fixture
async def fresh_installation(world, tmp_path):
    """`fresh_installation(name)`: the variables of a new data dir and an empty database (a
    scratch PostgreSQL database, dropped afterwards)."""
    created = []

    async def make(name: str) -> dict:
        data_dir = tmp_path / name
        if not IS_POSTGRES:
            return {
                "VENDORGOV_DATA_DIR": str(data_dir),
                "VENDORGOV_DATABASE_URL": f"sqlite:///{data_dir / 'vendorgov.sqlite3'}",
            }
        url = urlparse(get_settings().database_url)
        database = f"{url.path.lstrip('/')}_{name}_{secrets.token_hex(4)}"
        await db.fetch(f'CREATE DATABASE "{database}"')
        created.append(database)
        return {
            "VENDORGOV_DATA_DIR": str(data_dir),
            "VENDORGOV_DATABASE_URL": url._replace(path=f"/{database}").geturl(),
        }

    yield make
    for database in created:
        await db.fetch(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


async def sealed_tender(world) -> int:
    """A tender past its deadline with three sealed bids (one with a file), not opened."""
    tender_id = await published(world)
    for i, price in enumerate(PRICES):
        await bid(await bidder(world), tender_id, price, [proposal(f"backup {i}")] if i else [])
    await pass_deadline(tender_id)
    return tender_id


OPEN_TENDER = """
import asyncio, json, sys
from vendorgov import db
from vendorgov.accounts import service as accounts
from vendorgov.tenders import bidding, opening

async def main():
    async with db.lifespan_connections():
        officer = await accounts.principal_for_user(await accounts.user_id_for("t.procurement"))
        await opening.open_tender(officer, int(sys.argv[1]))
        bids = await bidding.bids(officer, int(sys.argv[1]))
        print(json.dumps(sorted(str(b["price"]) for b in bids)))

asyncio.run(main())
"""


def _open_in(env: dict, tender_id: int) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(OPEN_TENDER), str(tender_id)],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
    )


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_round_trip_keeps_rows_audit_trail_and_sealed_bids(
    world, tmp_path, fresh_installation
):
    tender_id = await sealed_tender(world)
    folder = tmp_path / "backup"
    made = _cli({}, "backup", str(folder))
    assert made.returncode == 0, made.stderr
    assert "WARNING" in made.stderr and "apart" in made.stderr
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["database"] == ("postgresql" if IS_POSTGRES else "sqlite")
    assert manifest["counts"]["bid"] >= 3 and manifest["counts"]["audit_entry"] > 0
    assert manifest["files"] >= 2  # the two proposals, sealed
    assert _mode(folder) == 0o700
    for path in folder.rglob("*"):
        assert _mode(path) == (0o700 if path.is_dir() else 0o600), path
    assert (folder / "secret_key").read_text().strip() == get_settings().secret_key

    target = await fresh_installation("restored")
    restored = _cli(target, "restore", str(folder))
    assert restored.returncode == 0, restored.stderr
    assert "matches the manifest; audit trail intact" in restored.stdout
    again = _cli(target, "restore", str(folder))
    assert again.returncode == 1 and "not empty" in again.stderr and "--force" in again.stderr
    verified = _cli(target, "audit", "verify")
    assert verified.returncode == 0, verified.stderr

    data_dir = Path(target["VENDORGOV_DATA_DIR"])
    assert _mode(data_dir) == 0o700 and _mode(data_dir / "secret_key") == 0o600
    uploads = [p for p in (data_dir / "files").rglob("*") if p.is_file()]
    assert len(uploads) == manifest["files"]
    assert all(_mode(p) == 0o600 for p in uploads)
    if not IS_POSTGRES:
        assert _mode(data_dir / "vendorgov.sqlite3") == 0o600

    opened = _open_in(target, tender_id)
    assert opened.returncode == 0, opened.stderr
    assert json.loads(opened.stdout) == PRICES


async def test_a_restore_without_the_key_is_reported_and_sealed_tenders_answer_409(
    world, tmp_path, fresh_installation
):
    tender_id = await sealed_tender(world)
    folder = tmp_path / "backup"
    assert _cli({}, "backup", str(folder)).returncode == 0
    (folder / "secret_key").unlink()  # stored apart, as the warning says, and not put back
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["secret_key"] = None
    (folder / "manifest.json").write_text(json.dumps(manifest))

    target = await fresh_installation("keyless")
    restored = _cli(target, "restore", str(folder))
    assert restored.returncode == 1
    assert "not the one the backup was made with" in restored.stderr
    opened = _open_in(target, tender_id)
    assert opened.returncode == 1
    # A command outside any request speaks the default language, Chinese.
    assert "Conflict" in opened.stderr and "密钥与投标加密时的密钥不一致" in opened.stderr


async def test_a_sealed_tender_under_another_key_is_a_409(world, api, monkeypatch):
    tender_id = await sealed_tender(world)
    other = replace(get_settings(), secret_key="another installation's key")
    monkeypatch.setattr(common, "get_settings", lambda: other)
    async with api("procurement") as c:
        response = await c.post(f"/api/tenders/{tender_id}/open")
    assert response.status_code == 409, response.text
    assert "secret key does not match" in response.json()["detail"]
    monkeypatch.undo()
    async with api("procurement") as c:
        assert (await c.post(f"/api/tenders/{tender_id}/open")).status_code in (200, 201)


async def test_restore_checks_the_manifest(world, tmp_path, fresh_installation):
    target = await fresh_installation("bad")
    empty = tmp_path / "nothing"
    empty.mkdir()
    refused = _cli(target, "restore", str(empty))
    assert refused.returncode == 1 and "no vendorgov backup manifest" in refused.stderr
    folder = tmp_path / "backup"
    assert _cli({}, "backup", str(folder)).returncode == 0
    dump = next(folder.glob("database.*"))
    dump.write_bytes(dump.read_bytes()[:-100])
    refused = _cli(target, "restore", str(folder))
    assert (
        refused.returncode == 1 and "differs from the one the manifest describes" in refused.stderr
    )
    assert _cli({}, "backup", str(folder)).returncode == 1  # not into a used folder
