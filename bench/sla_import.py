"""Import N service events from CSV through vendorgov (read, check, write in one transaction)
against the floor, on SQLite and on PostgreSQL (when 127.0.0.1:5432 answers):

- SQLite floor: a raw sqlite3 executemany of the same rows into a table with the same
  columns and indexes;
- PostgreSQL floor: a raw asyncpg copy_records_to_table of the same rows (already typed) into
  a table LIKE service_event INCLUDING ALL.

    python bench/sla_import.py [--rows 1000000] [--backend sqlite|postgres|all]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd


def make_csv(path: Path, rows: int) -> None:
    rng = np.random.default_rng(7)
    start = pd.Timestamp("2026-10-01 00:00")
    reported = start + pd.to_timedelta(rng.integers(0, 31 * 1440, rows), unit="min")
    responded = reported + pd.to_timedelta(rng.exponential(8, rows).round(), unit="min")
    frame = pd.DataFrame(
        {
            "external_id": [f"HD-{i:08d}" for i in range(rows)],
            "category": rng.choice(["repair", "delivery", "cleaning"], rows),
            "priority": rng.choice(["emergency", "urgent", "routine"], rows, p=[0.1, 0.3, 0.6]),
            "location": "住院部5楼",
            "reported_at": reported.strftime("%Y-%m-%d %H:%M"),
            "responded_at": responded.strftime("%Y-%m-%d %H:%M"),
            "resolved_at": "",
            "satisfaction": rng.choice(["", "3", "4", "5"], rows),
            "complaint": rng.choice(["no", "yes"], rows, p=[0.99, 0.01]),
        }
    )
    frame.to_csv(path, index=False)


async def setup() -> int:
    """An account and a signed-off contract to import into; returns the contract's id."""
    from vendorgov import db
    from vendorgov.accounts import service as accounts
    from vendorgov.audit.service import SYSTEM
    from vendorgov.contracts import drafting as contract_drafting
    from vendorgov.vendors import registry as vendor_registry
    from vendorgov.vendors.rules import VendorInput

    async with db.lifespan_connections():
        admin_id = await accounts.create_account(
            SYSTEM,
            username="bench.admin",
            display_name="B",
            password="harbour-lamp-2026",
            role="admin",
        )
        admin = await accounts.principal_for_user(admin_id)
        vendor_id = await vendor_registry.create_vendor(
            admin, VendorInput(name="压测", uscc="91350100M000100Y43", categories=["cleaning"])
        )
        contract_id, _ = await contract_drafting.create_contract(
            admin,
            contract_drafting.ContractInput(
                number="HT-BENCH",
                title="bench",
                vendor_id=vendor_id,
                category="cleaning",
                start_date=date(2026, 1, 1),
                end_date=date(2027, 12, 31),
                monthly_fee=Decimal("1000.00"),
            ),
        )
    return contract_id


async def vendorgov_import(path: Path, contract_id: int) -> tuple[float, int]:
    from vendorgov import db
    from vendorgov.accounts import service as accounts
    from vendorgov.sla import event_import

    async with db.lifespan_connections():
        admin = await accounts.principal_for_user(await accounts.user_id_for("bench.admin"))
        began = time.perf_counter()
        table = event_import.read_table(path.name, path.read_bytes())
        report = await event_import.import_events(admin, contract_id, table)
        return time.perf_counter() - began, report.inserted


def pg_floor(path: Path, url: str, contract_id: int) -> float:
    """asyncpg COPY of the same rows, typed as the driver takes them, into a copy of the table."""
    import asyncpg

    from vendorgov.sla.event_import import EVENT_TABLE_COLUMNS

    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    times = {
        c: [
            None if pd.isna(t) else t.to_pydatetime()
            for t in pd.to_datetime(table[c].replace("", None)).dt.tz_localize("Asia/Shanghai")
        ]
        for c in ("reported_at", "responded_at", "resolved_at")
    }
    now = datetime.now(UTC)
    rows = list(
        zip(
            [contract_id] * len(table),
            table["external_id"],
            table["category"],
            table["priority"],
            table["location"],
            times["reported_at"],
            times["responded_at"],
            times["resolved_at"],
            [int(v) if v else None for v in table["satisfaction"]],
            [v == "yes" for v in table["complaint"]],
            [now] * len(table),
            strict=True,
        )
    )

    async def copy() -> float:
        connection = await asyncpg.connect(url)
        try:
            # The same columns, defaults, indexes and foreign key (LIKE leaves that one out).
            await connection.execute(
                "CREATE TABLE service_event_floor (LIKE service_event INCLUDING ALL)"
            )
            await connection.execute(
                "ALTER TABLE service_event_floor ADD FOREIGN KEY (contract) REFERENCES contract"
            )
            began = time.perf_counter()
            async with connection.transaction():
                await connection.copy_records_to_table(
                    "service_event_floor", records=rows, columns=EVENT_TABLE_COLUMNS
                )
            return time.perf_counter() - began
        finally:
            await connection.close()

    return asyncio.run(copy())


def floor(path: Path, database: Path, contract_id: int) -> float:
    """Raw executemany of the same rows (already in memory) into the same table."""
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    rows = list(
        zip(
            [contract_id] * len(table),
            table["external_id"],
            table["category"],
            table["priority"],
            table["location"],
            table["reported_at"],
            table["responded_at"],
            table["resolved_at"],
            table["satisfaction"],
            table["complaint"],
            ["2026-11-01"] * len(table),
            strict=True,
        )
    )
    connection = sqlite3.connect(database, isolation_level=None)
    connection.execute("PRAGMA foreign_keys = ON")  # as vendorgov runs
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    columns = (
        "contract, external_id, category, priority, location, reported_at, "
        "responded_at, resolved_at, satisfaction, complaint, updated_at"
    )
    began = time.perf_counter()
    connection.execute("BEGIN")
    connection.executemany(
        f"INSERT INTO service_event_floor ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    connection.execute("COMMIT")
    return time.perf_counter() - began


def run(backend: str, rows: int) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix=f"vendorgov-bench-import-{backend}-"))
    os.environ.update(VENDORGOV_DATA_DIR=str(data_dir))
    os.environ.pop("VENDORGOV_DATABASE_URL", None)
    if backend == "postgres":
        os.environ["VENDORGOV_DATABASE_URL"] = asyncio.run(reset_postgres())
    subprocess.run(
        [sys.executable, "-m", "vendorgov.cli", "migrate"], check=True, capture_output=True
    )
    csv = data_dir / "events.csv"
    make_csv(csv, rows)
    contract_id = asyncio.run(setup())
    if backend == "postgres":
        raw = pg_floor(csv, os.environ["VENDORGOV_DATABASE_URL"], contract_id)
        what = "raw asyncpg copy_records_to_table floor"
    else:
        database = data_dir / "vendorgov.sqlite3"
        # The floor's table: service_event's own DDL (columns, foreign key) and indexes.
        with sqlite3.connect(database) as c:
            for name, sql in c.execute(
                "SELECT name, sql FROM sqlite_master WHERE tbl_name = 'service_event' "
                "AND sql IS NOT NULL ORDER BY type DESC"
            ).fetchall():
                renamed = re.sub(r'"?service_event"? ', '"service_event_floor" ', sql, count=1)
                if name != "service_event":
                    renamed = renamed.replace(name, f"{name}_floor", 1)
                    renamed = re.sub(r'ON "?service_event"? ', "ON service_event_floor ", renamed)
                c.execute(renamed)
        raw = floor(csv, database, contract_id)
        what = "raw executemany floor"
    ours, inserted = asyncio.run(vendorgov_import(csv, contract_id))
    assert inserted == rows, inserted
    print(
        f"import {rows:,} events from CSV into {backend}: vendorgov {ours:.1f} s, "
        f"{what} {raw:.1f} s, ratio {ours / raw:.2f} (target ≤ 2.00) "
        f"{'PASS' if ours / raw <= 2 else 'FAIL'}",
        flush=True,
    )
    shutil.rmtree(data_dir, ignore_errors=True)


PG_ADMIN_URL = os.environ.get("VENDORGOV_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")


async def reset_postgres() -> str:
    import asyncpg

    connection = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await connection.execute("DROP DATABASE IF EXISTS vendorgov_bench_import WITH (FORCE)")
        await connection.execute("CREATE DATABASE vendorgov_bench_import")
    finally:
        await connection.close()
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/vendorgov_bench_import"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "all"), default="all")
    args = parser.parse_args()
    if args.backend != "all":
        run(args.backend, args.rows)
        return 0
    # One process per backend: settings and the engine are read once per process.
    for backend in ("sqlite", "postgres"):
        if backend == "postgres":
            try:
                socket.create_connection(("127.0.0.1", 5432), timeout=2).close()
            except OSError:
                print("PostgreSQL does not answer on 127.0.0.1:5432: skipping it")
                continue
        command = [sys.executable, __file__, "--rows", str(args.rows), "--backend", backend]
        subprocess.run(command, check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
