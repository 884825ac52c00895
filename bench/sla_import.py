"""Import N service events from CSV into SQLite through vendorgov (read, check, upsert in one
transaction) against the floor: a raw sqlite3 executemany of the same rows into the same table.

    python bench/sla_import.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date
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


async def vendorgov_import(path: Path) -> tuple[float, int]:
    from vendorgov import db
    from vendorgov.accounts import service as accounts
    from vendorgov.audit.service import SYSTEM
    from vendorgov.contracts import service as contracts
    from vendorgov.sla import service as sla
    from vendorgov.vendors import service as vendors
    from vendorgov.vendors.rules import VendorInput

    async with db.lifespan_connections():
        admin_id = await accounts.create_account(
            SYSTEM, username="bench", display_name="B", password="bench-password", role="admin"
        )
        admin = await accounts.principal_for_user(admin_id)
        vendor_id = await vendors.create_vendor(
            admin, VendorInput(name="压测", uscc="91350100M000100Y43", categories=["cleaning"])
        )
        contract_id, _ = await contracts.create_contract(
            admin,
            contracts.ContractInput(
                number="HT-BENCH",
                title="bench",
                vendor_id=vendor_id,
                category="cleaning",
                start_date=date(2026, 1, 1),
                end_date=date(2027, 12, 31),
                monthly_fee=Decimal("1000.00"),
            ),
        )
        began = time.perf_counter()
        table = sla.read_table(path.name, path.read_bytes())
        report = await sla.import_events(admin, contract_id, table)
        return time.perf_counter() - began, report.inserted


def floor(path: Path, database: Path) -> float:
    """Raw executemany of the same rows (already in memory) into the same table."""
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    rows = list(
        zip(
            [1] * len(table),
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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="vendorgov-bench-import-"))
    os.environ.update(VENDORGOV_DATA_DIR=str(data_dir))
    os.environ.pop("VENDORGOV_DATABASE_URL", None)
    subprocess.run(
        [sys.executable, "-m", "vendorgov.cli", "migrate"], check=True, capture_output=True
    )
    csv = data_dir / "events.csv"
    make_csv(csv, args.rows)
    database = data_dir / "vendorgov.sqlite3"
    # The floor's table: the same columns and unique index, empty.
    with sqlite3.connect(database) as c:
        c.execute("CREATE TABLE service_event_floor AS SELECT * FROM service_event WHERE 0")
        c.execute("CREATE UNIQUE INDEX floor_unique ON service_event_floor (contract, external_id)")
    raw = floor(csv, database)
    ours, inserted = asyncio.run(vendorgov_import(csv))
    assert inserted == args.rows, inserted
    print(
        f"import {args.rows:,} events from CSV into SQLite: vendorgov {ours:.1f} s, "
        f"raw executemany floor {raw:.1f} s, ratio {ours / raw:.2f} (target ≤ 2.00) "
        f"{'PASS' if ours / raw <= 2 else 'FAIL'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
