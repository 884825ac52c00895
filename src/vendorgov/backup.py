"""Backup and restore: the database, the uploaded files and the secret key, with a manifest.

SQLite is copied with its online backup API (a consistent copy while the app runs);
PostgreSQL with pg_dump in custom format, from a snapshot exported by a transaction that also
counts the rows, so the manifest describes exactly what was dumped. Restore puts the key back
first (sealed tenders and the audit trail depend on it), then the database and the files, and
checks the result against the manifest: the same row counts, the same audit chain head, and a
trail that verifies.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from vendorgov import db
from vendorgov.audit import service as audit
from vendorgov.audit.chain import GENESIS, derive_key
from vendorgov.errors import Conflict, InvalidInput
from vendorgov.settings import (
    Settings,
    get_settings,
    private_dir,
    secret_key_configured,
    secret_key_path,
    write_private,
)

MANIFEST = "manifest.json"
FORMAT = 1
DUMPS = {"sqlite": "database.sqlite3", "postgresql": "database.dump"}
FILES = "files"
KEY = "secret_key"
KEY_CHECK_LABEL = b"vendorgov backup key check"

_SQLITE_TABLES = (
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
)
_PG_TABLES = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"

Fetch = Callable[[str], Awaitable[list[tuple]]]


def kind(settings: Settings) -> str:
    return "sqlite" if settings.is_sqlite else "postgresql"


def key_check(secret: str) -> str:
    """Tells whether a key is the backup's without revealing it (a key derived for this only)."""
    return derive_key(secret, KEY_CHECK_LABEL).hex()


async def _summary(fetch: Fetch, tables_sql: str) -> dict[str, Any]:
    """Rows per table and the audit chain's head, as `fetch` sees the database."""
    names = [row[0] for row in await fetch(tables_sql)]
    counts = {name: (await fetch(f'SELECT count(*) FROM "{name}"'))[0][0] for name in names}
    head = await fetch("SELECT id, hash FROM audit_entry ORDER BY id DESC LIMIT 1")
    return {
        "counts": counts,
        "audit_head": {"id": head[0][0], "hash": head[0][1]} if head else _EMPTY_HEAD,
    }


_EMPTY_HEAD = {"id": 0, "hash": GENESIS}


def _sqlite_fetch(connection: sqlite3.Connection) -> Fetch:
    async def fetch(sql: str) -> list[tuple]:
        return connection.execute(sql).fetchall()

    return fetch


async def _tool(*args: str) -> None:
    """Run pg_dump / pg_restore; its error output becomes the message if it fails."""
    try:
        process = await asyncio.create_subprocess_exec(
            *args, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
        )
    except FileNotFoundError:
        raise Conflict(f"{args[0]} is not installed (the PostgreSQL client tools)") from None
    _, stderr = await process.communicate()
    if process.returncode != 0:
        raise Conflict(f"{args[0]} failed: {stderr.decode(errors='replace').strip()}")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _copy_private(source: Path, target: Path) -> int:
    """Copy a folder tree, folders 0700 and files 0600; the number of files copied."""
    copied = 0
    for folder, _, names in os.walk(source):
        destination = private_dir(target / Path(folder).relative_to(source))
        for name in names:
            shutil.copyfile(Path(folder) / name, destination / name)
            (destination / name).chmod(0o600)
            copied += 1
    return copied


# --- backup ----------------------------------------------------------------------------------


async def backup(target: Path) -> dict[str, Any]:
    """Write a backup into the folder `target` (new or empty); returns the manifest."""
    settings = get_settings()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InvalidInput.single("DIR", "empty", f"{target} exists and is not an empty folder")
    private_dir(target)
    dump = target / DUMPS[kind(settings)]
    if settings.is_sqlite:
        summary = await _backup_sqlite(Path(db.sqlite_path(settings.database_url)), dump)
    else:
        summary = await _backup_postgres(settings.database_url, dump)
    dump.chmod(0o600)
    files = _copy_private(settings.files_dir, target / FILES) if settings.files_dir.exists() else 0
    key_file = secret_key_path(settings.data_dir)
    # A key given by VENDORGOV_SECRET_KEY(_FILE) is not in the data dir: the operator keeps it.
    key_copied = not secret_key_configured() and key_file.exists()
    if key_copied:
        write_private(target / KEY, key_file.read_bytes())
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(),
        "database": kind(settings),
        "dump": dump.name,
        "dump_sha256": _sha256(dump),
        **summary,
        "files": files,
        "secret_key": KEY if key_copied else None,
        "key_check": key_check(settings.secret_key),
    }
    write_private(target / MANIFEST, (json.dumps(manifest, indent=2) + "\n").encode())
    return manifest


async def _backup_sqlite(source: Path, dump: Path) -> dict[str, Any]:
    db.private_sqlite_file(str(dump))
    origin, copy = sqlite3.connect(source), sqlite3.connect(dump)
    try:
        origin.backup(copy)
        return await _summary(_sqlite_fetch(copy), _SQLITE_TABLES)
    finally:
        copy.close()
        origin.close()


async def _backup_postgres(url: str, dump: Path) -> dict[str, Any]:
    async with db.engine().pool.acquire() as connection:
        async with connection.transaction(isolation="repeatable_read", readonly=True):
            # pg_dump reads the snapshot this transaction counts in.
            snapshot = await connection.fetchval("SELECT pg_export_snapshot()")
            await _tool(
                "pg_dump",
                "--format=custom",
                f"--snapshot={snapshot}",
                f"--file={dump}",
                f"--dbname={url}",
            )
            return await _summary(_pg_fetch(connection), _PG_TABLES)


async def _live_fetch(sql: str) -> list[tuple]:
    return [tuple(row.values()) for row in await db.fetch(sql)]


def _pg_fetch(connection) -> Fetch:
    async def fetch(sql: str) -> list[tuple]:
        return [tuple(row) for row in await connection.fetch(sql)]

    return fetch


# --- restore ---------------------------------------------------------------------------------


def read_manifest(source: Path) -> dict[str, Any]:
    settings = get_settings()
    try:
        manifest = json.loads((source / MANIFEST).read_text())
        valid = manifest["format"] == FORMAT and manifest["dump"] == DUMPS[manifest["database"]]
    except (OSError, ValueError, KeyError, TypeError):
        valid = False
    if not valid:
        raise InvalidInput.single("DIR", "manifest", f"{source} holds no vendorgov backup manifest")
    if manifest["database"] != kind(settings):
        raise InvalidInput.single(
            "DIR",
            "database",
            f"the backup is of a {manifest['database']} database; this installation uses "
            f"{kind(settings)} (VENDORGOV_DATABASE_URL)",
        )
    dump = source / manifest["dump"]
    if not dump.is_file() or _sha256(dump) != manifest["dump_sha256"]:
        raise InvalidInput.single(
            "DIR", "dump", f"{dump} is missing or differs from the one the manifest describes"
        )
    return manifest


async def _target_tables(settings: Settings) -> int:
    if settings.is_sqlite:
        path = Path(db.sqlite_path(settings.database_url))
        if not path.exists():
            return 0
        connection = sqlite3.connect(path)
        try:
            return len(connection.execute(_SQLITE_TABLES).fetchall())
        finally:
            connection.close()
    return len(await _live_fetch(_PG_TABLES))


async def restore(source: Path, force: bool = False) -> dict[str, Any]:
    """Restore a backup into this installation's database and data dir; returns what was
    found afterwards ("counts", "audit_head", "verification", "key_matches")."""
    manifest = read_manifest(source)
    settings = get_settings()
    has_files = settings.files_dir.exists() and any(settings.files_dir.rglob("*"))
    if not force and (has_files or await _target_tables(settings)):
        raise Conflict(
            "the target database or data dir is not empty; restore into a fresh one, or "
            "pass --force to overwrite it"
        )
    private_dir(settings.data_dir)
    if manifest["secret_key"] and not secret_key_configured():
        write_private(secret_key_path(settings.data_dir), (source / KEY).read_bytes())
        get_settings.cache_clear()  # the restored key from now on
        settings = get_settings()
    dump = source / manifest["dump"]
    if settings.is_sqlite:
        target = Path(db.sqlite_path(settings.database_url))
        db.private_sqlite_file(str(target))
        origin, copy = sqlite3.connect(dump), sqlite3.connect(target)
        try:
            origin.backup(copy)
        finally:
            copy.close()
            origin.close()
    else:
        await _tool(
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={settings.database_url}",
            str(dump),
        )
    summary = await _summary(_live_fetch, _SQLITE_TABLES if settings.is_sqlite else _PG_TABLES)
    if (source / FILES).is_dir():
        _copy_private(source / FILES, settings.files_dir)
    verification = await audit.verify()
    return {
        **summary,
        "verification": verification,
        "problems": _problems(manifest, summary, verification, settings),
    }


def _problems(
    manifest: dict[str, Any], found: dict[str, Any], verification, settings: Settings
) -> list[str]:
    """How the restored installation differs from what the manifest says was backed up."""
    problems = []
    differ = sorted(
        name
        for name in set(found["counts"]) | set(manifest["counts"])
        if found["counts"].get(name) != manifest["counts"].get(name)
    )
    if differ:
        problems.append(f"row counts differ from the manifest's in {', '.join(differ)}")
    if found["audit_head"] != manifest["audit_head"]:
        problems.append("the audit chain head differs from the manifest's")
    if key_check(settings.secret_key) != manifest["key_check"]:
        problems.append(
            "the secret key in use is not the one the backup was made with: sealed tenders "
            "will not open and the audit trail will not verify; put the original key in place "
            "(the data dir's secret_key file or VENDORGOV_SECRET_KEY)"
        )
    if not verification.intact:
        problems.append(
            f"audit trail broken at entry {verification.first_break.entry_id}: "
            f"{verification.first_break.reason}"
        )
    return problems
