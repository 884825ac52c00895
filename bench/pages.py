"""Every page of every role, one client, on a large hospital: server time (median and p95) and
response size against the targets (≤ 50 ms median, ≤ 150 ms p95, ≤ 200 KiB), each beside the
same client's time for /healthz measured in the same run (the floor: routing, middleware and
the client alone).

The data is built here through the app's services (bench/month_end.py's hospital: vendors,
signed contracts, inspections, surveys, findings, notices; bench/sla_month.py's events; one
month-end run), then widened with bulk rows: findings, issued notices and tenders. Until the
shared large fixture (bench/fixture.py: 2,000 contracts, 1 M events, 50,000 findings, 20,000
notices, 1,000 tenders) is merged, the sizes are this script's arguments.

Requests go to the app in-process (httpx's ASGI transport): the time measured is the server's,
without a network. Pages of each role: its navigation, then the detail pages it reaches from
them (a contract, its events and scorecard, a vendor, a tender, a run, a notice).

    python bench/pages.py [--contracts 200] [--events 200000] [--findings 20000]
                          [--notices 5000] [--tenders 300] [--requests 20]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from month_end import PASSWORD, make_world, month_end  # noqa: E402
from sla_month import add_events  # noqa: E402

MEDIAN_MS, P95_MS, MAX_KIB = 50.0, 150.0, 200.0
ROLES = ("admin", "procurement", "supervisor", "finance", "vendor", "evaluator", "auditor")
CSRF_RE = re.compile(r'name="_csrf_token" value="([^"]+)"')


def widen(database: Path, contracts: list[int], findings: int, notices: int) -> None:
    """Bulk findings (spread over the contracts and the last two years) and issued notices
    with their first step, as the supervisors would have raised them."""
    start = datetime(2024, 11, 1, tzinfo=UTC)
    severities = ("minor", "major", "critical")
    with sqlite3.connect(database) as connection:
        connection.executemany(
            "INSERT INTO finding (contract, source, inspection_id, item_key, clause_code, "
            "category, severity, description, found_at, status, notice_id, created_by, "
            "location_id) VALUES (?, 'inspection', NULL, '', '', ?, ?, ?, ?, ?, NULL, "
            "'bench', NULL)",
            (
                (
                    contracts[i % len(contracts)],
                    f"检查项 {i % 12}",
                    severities[i % 3],
                    f"bench finding {i}",
                    (start + timedelta(minutes=37 * i)).isoformat(),
                    "closed" if i % 5 else "open",
                )
                for i in range(findings)
            ),
        )
        for i in range(notices):
            issued = start + timedelta(hours=3 * i)
            cursor = connection.execute(
                "INSERT INTO rectification_notice (number, contract, status, issued_at, "
                "deadline, closed_at, issued_by, origin, month, run_id, body, severity, "
                "discard_reason, location_id) VALUES (?, ?, ?, ?, ?, NULL, 'bench', "
                "'findings', '', NULL, '', '', '', NULL)",
                (
                    f"ZG-BENCH-{i:06d}",
                    contracts[i % len(contracts)],
                    "closed" if i % 4 else "issued",
                    issued.isoformat(),
                    (issued + timedelta(hours=72)).isoformat(),
                ),
            )
            connection.execute(
                "INSERT INTO notice_step (notice, at, action, actor, note, deadline, evidence) "
                "VALUES (?, ?, 'issue', 'bench', '', ?, '[]')",
                (cursor.lastrowid, issued.isoformat(), (issued + timedelta(hours=72)).isoformat()),
            )


async def accounts_and_tenders(tenders: int) -> dict:
    """An account per role (the vendor's for the first vendor), `tenders` tenders (a third
    published), and the ids the detail pages need."""
    from vendorgov import db
    from vendorgov.accounts import service as accounts
    from vendorgov.contracts.tables import Contract
    from vendorgov.payments.tables import PaymentRun
    from vendorgov.tenders import publication
    from vendorgov.tenders.publication import TenderInput
    from vendorgov.tenders.rules import Criterion

    async with db.lifespan_connections():
        admin = await accounts.principal_for_user(await accounts.user_id_for("bench"))
        first = await Contract.select(Contract.id, Contract.vendor).order_by(Contract.id).first()
        for role in ROLES:
            if role not in ("admin", "finance"):
                await accounts.create_account(
                    admin,
                    username=f"bench.{role}",
                    display_name=f"Bench {role}",
                    password=PASSWORD,
                    role=role,
                    vendor_id=first["vendor"] if role == "vendor" else None,
                )
        officer = await accounts.principal_for_user(await accounts.user_id_for("bench.procurement"))
        year = datetime.now(UTC).year + 1
        tender_ids = [
            await publication.create_tender(
                officer,
                TenderInput(
                    reference=f"ZB-BENCH-{i:05d}",
                    title=f"住院部保洁服务采购 {i}",
                    category="cleaning",
                    method="open",
                    evaluation_method="comprehensive",
                    budget_ceiling=Decimal("1000000.00"),
                    service_start=date(year, 1, 1),
                    service_end=date(year, 12, 31),
                    bid_deadline=datetime.now(UTC) + timedelta(days=30),
                    scope="住院部日常保洁",
                    qualification_types=["business_licence"],
                    criteria=[
                        Criterion("price", "价格", Decimal(30)),
                        Criterion("technical", "技术方案", Decimal(70)),
                    ],
                    sla_template={"clauses": [], "penalties": [], "terms_text": ""},
                ),
            )
            for i in range(tenders)
        ]
        run = await PaymentRun.select(PaymentRun.id).order_by(PaymentRun.id).first()
        return {
            "contract": first["id"],
            "vendor": first["vendor"],
            "tender": tender_ids[0],
            "run": run["id"],
        }


DETAILS = (
    "/contracts/{contract}",
    "/contracts/{contract}/events",
    "/contracts/{contract}/scorecard",
    "/contracts/{contract}/findings/pareto",
    "/vendors/{vendor}",
    "/tenders/{tender}",
    "/month-end/runs/{run}",
    "/month-end/contracts/{contract}/history",
    "/findings?status=open",
    "/notices?due=overdue",
)


def pages_of(role: str, ids: dict) -> list[str]:
    """The role's navigation, then every detail page (those it may not read are skipped)."""
    from vendorgov.accounts.roles import Role
    from vendorgov.web.templating import NAVIGATION

    navigation = [path for _, path, roles in NAVIGATION if Role(role) in roles]
    return navigation + [d.format(**ids) for d in DETAILS]


async def log_in(client, username: str) -> None:
    token = CSRF_RE.search((await client.get("/login")).text).group(1)
    response = await client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "_csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code in (302, 303), response.text[:300]


async def timed(client, path: str, count: int) -> tuple[int, list[float], int]:
    """(status, milliseconds of each of `count` requests after two warm ones, bytes)."""
    for _ in range(2):
        response = await client.get(path)
    if response.status_code != 200:
        return response.status_code, [], 0
    times = []
    for _ in range(count):
        began = time.perf_counter()
        response = await client.get(path)
        times.append((time.perf_counter() - began) * 1000)
    return response.status_code, times, len(response.content)


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(round(0.95 * len(values))) - 1)]


async def measure(ids: dict, count: int, say) -> int:
    import httpx

    from vendorgov import db
    from vendorgov.app import create_app

    app = create_app()
    failures = 0
    async with db.lifespan_connections():
        for role in ROLES:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url="http://bench.local",
                follow_redirects=True,
            ) as client:
                await log_in(client, "bench" if role == "admin" else f"bench.{role}")
                _, floor_times, _ = await timed(client, "/healthz", count)
                floor = statistics.median(floor_times)
                say(f"\n{role}: floor /healthz median {floor:.2f} ms")
                say(f"  {'page':48} {'median':>8} {'p95':>8} {'KiB':>7}  ratios")
                for path in pages_of(role, ids):
                    status, times, size = await timed(client, path, count)
                    if status in (403, 404):  # not this role's page
                        say(f"  {path:48} {'not for this role: ' + str(status):>25}")
                        continue
                    if status != 200:
                        failures += 1
                        say(f"  {path:48} {'FAILED: ' + str(status):>25}")
                        continue
                    median, tail, kib = statistics.median(times), p95(times), size / 1024
                    ok = median <= MEDIAN_MS and tail <= P95_MS and kib <= MAX_KIB
                    failures += not ok
                    say(
                        f"  {path:48} {median:6.1f}ms {tail:6.1f}ms {kib:7.1f}  "
                        f"{median / MEDIAN_MS:.2f}/{tail / P95_MS:.2f}/{kib / MAX_KIB:.2f} "
                        f"of target, {median / floor:.1f}x floor {'ok' if ok else 'OVER'}"
                    )
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contracts", type=int, default=200)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--findings", type=int, default=20_000)
    parser.add_argument("--notices", type=int, default=5_000)
    parser.add_argument("--tenders", type=int, default=300)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="vendorgov-bench-pages-"))
    os.environ["VENDORGOV_DATA_DIR"] = str(data_dir)
    os.environ.pop("VENDORGOV_DATABASE_URL", None)
    try:
        return run(args, data_dir)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def run(args, data_dir: Path) -> int:
    subprocess.run(
        [sys.executable, "-m", "vendorgov.cli", "migrate"], check=True, capture_output=True
    )
    database = data_dir / "vendorgov.sqlite3"
    began = time.perf_counter()
    contracts = asyncio.run(make_world(args.contracts))
    add_events(database, contracts, args.events, seed=1)
    widen(database, [c for c, _ in contracts], args.findings, args.notices)
    asyncio.run(month_end())
    ids = asyncio.run(accounts_and_tenders(args.tenders))
    print(
        f"data (SQLite): {args.contracts} contracts, {args.events:,} events, "
        f"{args.findings:,}+ findings, {args.notices:,}+ notices, {args.tenders} tenders, "
        f"one month-end run (built in {time.perf_counter() - began:.0f} s); "
        f"{args.requests} requests a page, one client; targets: median ≤ {MEDIAN_MS:.0f} ms, "
        f"p95 ≤ {P95_MS:.0f} ms, ≤ {MAX_KIB:.0f} KiB (ratios: median/p95/size of target)"
    )
    # The app's request logs are written (their cost is the server's) but not shown: the
    # report goes to the original stdout, the logs' descriptors to /dev/null.
    report = open(os.dup(1), "w", buffering=1)  # noqa: SIM115 (kept open to the end)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    failures = asyncio.run(measure(ids, args.requests, functools.partial(print, file=report)))
    print(f"\n{failures} page(s) over a target", file=report)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
