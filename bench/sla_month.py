"""SLA month computation for 200 contracts against its floor, on SQLite.

vendorgov: `sla.compute_months` for October 2026 over every contract (read the month's events,
measure each contract's clauses against the version in force, store the results in one
transaction). Floor, in the same run: read the same month's rows with the raw sqlite3 driver
into a DataFrame and count them per contract with one groupby. Then the events grow tenfold and
both run again: vendorgov's time should grow linearly (at most 11x).

    python bench/sla_month.py [--events 1000000] [--contracts 200] [--scale 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
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

MONTH = "2026-10"
COLUMNS = (
    "contract, external_id, category, priority, location, reported_at, responded_at, "
    "resolved_at, satisfaction, complaint, updated_at"
)
# The same columns as vendorgov reads (vendorgov.sla.measure.EVENT_COLUMNS).
FLOOR_SQL = (
    "SELECT contract, id, category, priority, reported_at, responded_at, resolved_at, "
    "satisfaction, complaint FROM service_event WHERE reported_at >= ? AND reported_at < ?"
)


async def make_contracts(count: int) -> list[tuple[int, list[str]]]:
    """`count` vendors with one signed contract each, clauses as in the demo hospital;
    returns (contract id, the event categories its clauses filter on)."""
    from vendorgov import db
    from vendorgov.accounts import service as accounts
    from vendorgov.audit.service import SYSTEM
    from vendorgov.contracts import drafting as contract_drafting
    from vendorgov.contracts.rules import Terms
    from vendorgov.demo import EVENT_CATEGORIES, sla_clauses
    from vendorgov.vendors import registry as vendor_registry
    from vendorgov.vendors.rules import USCC_ALPHABET, VendorInput, uscc_check_character

    categories = list(EVENT_CATEGORIES)
    made = []
    async with db.lifespan_connections():
        admin_id = await accounts.create_account(
            SYSTEM,
            username="bench.admin",
            display_name="B",
            password="harbour-lamp-2026",
            role="admin",
        )
        admin = await accounts.principal_for_user(admin_id)
        for i in range(count):
            category = categories[i % len(categories)]
            digits = "".join(USCC_ALPHABET[(i // 31**k) % 31] for k in range(8))
            body = "91420100MA" + digits[:7]
            vendor_id = await vendor_registry.create_vendor(
                admin,
                VendorInput(
                    name=f"压测服务商 {i}",
                    uscc=body + uscc_check_character(body),
                    categories=[category],
                ),
            )
            contract_id, version_id = await contract_drafting.create_contract(
                admin,
                contract_drafting.ContractInput(
                    number=f"HT-BENCH-{i:03d}",
                    title="bench",
                    vendor_id=vendor_id,
                    category=category,
                    start_date=date(2026, 1, 1),
                    end_date=date(2027, 12, 31),
                    monthly_fee=Decimal("100000.00"),
                ),
                Terms(
                    effective_from=date(2026, 1, 1),
                    monthly_fee=Decimal("100000.00"),
                    clauses=sla_clauses(category),
                ),
            )
            await contract_drafting.sign(admin, version_id)
            made.append((contract_id, EVENT_CATEGORIES[category]))
    return made


def _times(values: np.ndarray) -> np.ndarray:
    """datetime64[s] (UTC) as the text Piccolo stores for a Timestamptz on SQLite."""
    text = np.char.add(np.char.replace(np.datetime_as_string(values, unit="s"), "T", " "), "+00:00")
    return text.astype(object)


def add_events(database: Path, contracts: list[tuple[int, list[str]]], count: int, seed: int):
    """`count` October events (and a twentieth as many late-September ones, some still open
    at the month's start) spread evenly over the contracts, inserted with executemany in the
    order they were reported, as the help desk hands them over."""
    rng = np.random.default_rng(seed)
    late = count // 20
    total = count + late
    start = np.datetime64("2026-09-30T16:00:00")  # 1 October 00:00 in Asia/Shanghai
    offsets = np.concatenate(
        [rng.integers(0, 31 * 86400, count), rng.integers(-2 * 86400, 0, late)]
    ).astype("timedelta64[s]")
    reported = np.sort(start + offsets)
    respond = (rng.exponential(9 * 60, total)).astype("timedelta64[s]")
    resolve = respond + (rng.exponential(60 * 60, total)).astype("timedelta64[s]")
    open_ = rng.random(total) < 0.02
    which = rng.integers(0, len(contracts), total)
    ids = np.array([c for c, _ in contracts])[which]
    kinds = [cats for _, cats in contracts]
    category = np.array([kinds[w][0] for w in range(len(contracts))], dtype=object)[which]
    responded = _times(reported + respond)
    resolved = _times(reported + resolve)
    resolved[open_] = None
    rows = zip(
        ids.tolist(),
        (f"B{seed}-{i:09d}" for i in range(total)),
        category.tolist(),
        rng.choice(["emergency", "urgent", "routine"], total, p=[0.1, 0.3, 0.6]).tolist(),
        ["住院部"] * total,
        _times(reported).tolist(),
        responded.tolist(),
        resolved.tolist(),
        rng.choice([None, 3, 4, 5], total, p=[0.7, 0.05, 0.1, 0.15]).tolist(),
        (rng.random(total) < 0.005).tolist(),
        ["2026-11-01 00:00:00+00:00"] * total,
        strict=True,
    )
    with sqlite3.connect(database) as connection:
        connection.executemany(
            f"INSERT INTO service_event ({COLUMNS}) VALUES ({', '.join(['?'] * 11)})", rows
        )
    return count


def floor(database: Path) -> float:
    from vendorgov.settings import get_settings
    from vendorgov.sla.measure import EVENT_COLUMNS, Month

    zone = get_settings().zone
    month = Month.parse(MONTH)
    bounds = (str(month.start_utc(zone).to_pydatetime()), str(month.end_utc(zone).to_pydatetime()))
    connection = sqlite3.connect(database)
    began = time.perf_counter()
    rows = connection.execute(FLOOR_SQL, bounds).fetchall()
    frame = pd.DataFrame.from_records(
        rows,
        columns=["contract", "id", *EVENT_COLUMNS],
    )
    frame.groupby("contract").size()
    elapsed = time.perf_counter() - began
    connection.close()
    return elapsed


async def vendorgov_month(contract_ids: list[int]) -> tuple[float, int]:
    from vendorgov import db
    from vendorgov.accounts import service as accounts
    from vendorgov.sla import service as sla
    from vendorgov.sla.measure import Month

    async with db.lifespan_connections():
        admin = await accounts.principal_for_user(await accounts.user_id_for("bench.admin"))
        began = time.perf_counter()
        outcomes = await sla.compute_months(admin, Month.parse(MONTH), contract_ids)
        elapsed = time.perf_counter() - began
    return elapsed, sum(o.events for o in outcomes)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--contracts", type=int, default=200)
    parser.add_argument("--scale", type=int, default=10, help="then grow events this many times")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="vendorgov-bench-month-"))
    os.environ["VENDORGOV_DATA_DIR"] = str(data_dir)
    os.environ.pop("VENDORGOV_DATABASE_URL", None)
    try:
        subprocess.run(
            [sys.executable, "-m", "vendorgov.cli", "migrate"], check=True, capture_output=True
        )
        database = data_dir / "vendorgov.sqlite3"
        contracts = asyncio.run(make_contracts(args.contracts))
        ids = [c for c, _ in contracts]
        events = add_events(database, contracts, args.events, seed=1)
        times = {}
        for step, size in enumerate((events, events * args.scale)):
            if step:
                add_events(database, contracts, size - events, seed=2)
            raw = floor(database)
            ours, counted = asyncio.run(vendorgov_month(ids))
            assert counted == size, (counted, size)
            times[size] = ours
            print(
                f"month computation, {args.contracts} contracts, {size:,} events in the month "
                f"(SQLite): vendorgov {ours:.2f} s, floor (read into pandas + groupby) "
                f"{raw:.2f} s, ratio {ours / raw:.2f} (target ≤ 2.00) "
                f"{'PASS' if ours / raw <= 2 else 'FAIL'}"
            )
        if args.scale > 1:
            growth = times[events * args.scale] / times[events]
            print(
                f"growth from {events:,} to {events * args.scale:,} events: {growth:.2f}x "
                f"(target ≤ {args.scale + 1:.0f}x) "
                f"{'PASS' if growth <= args.scale + 1 else 'FAIL'}"
            )
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
