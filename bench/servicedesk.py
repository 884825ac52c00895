"""Service requests under load (§9), against the raw single-insert floor of the same run, and
the centre's board over 5,000 open requests.

For each backend (SQLite always; PostgreSQL when 127.0.0.1:5432 answers) this makes a fresh
database, seeds a signed cleaning contract, a place, its route, a ward account with a token and
5,000 open requests, starts bench/server.py (the app plus the floor endpoint), runs wrk with 64
connections against the floor and POST /api/service/requests, and times the board's two reads
(GET /api/service/board and the first page of open requests) one at a time. Targets: ≥ 0.5 of
the floor with p99 ≤ 50 ms; each board read ≤ 100 ms.

    python bench/servicedesk.py [--backend sqlite|postgres|all] [--duration 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loadgen import HERE, free_port, parse_wrk, postgres_available  # noqa: E402

OPEN_REQUESTS = 5_000
# The benchmark's own PostgreSQL database, dropped and created again each run.
PG_URL = os.environ.get(
    "VENDORGOV_BENCH_SERVICEDESK_PG", "postgresql://postgres@127.0.0.1:5432/vendorgov_bench_sd"
)


async def _reset_postgres() -> str:
    import asyncpg

    base, name = PG_URL.rsplit("/", 1)
    connection = await asyncpg.connect(f"{base}/postgres")
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return PG_URL


RATIO_TARGET, P99_LIMIT_MS, BOARD_LIMIT_MS = 0.5, 50.0, 100.0


async def seed() -> dict:
    """Run in a child process whose environment names the database (settings are read once)."""
    from datetime import UTC, date, datetime, timedelta
    from decimal import Decimal

    from vendorgov import db
    from vendorgov.accounts import service as accounts
    from vendorgov.audit.service import SYSTEM
    from vendorgov.contracts import drafting as contract_drafting
    from vendorgov.contracts.rules import Clause, Terms
    from vendorgov.locations import service as locations
    from vendorgov.servicedesk import routing
    from vendorgov.servicedesk.tables import ServiceRequest
    from vendorgov.vendors import registry as vendor_registry
    from vendorgov.vendors.rules import VendorInput

    async with db.lifespan_connections():
        admin = await accounts.principal_for_user(
            await accounts.create_account(
                SYSTEM,
                username="bench.admin",
                password="bench-password-2026",
                role="admin",
                display_name="Bench admin",
            )
        )
        vendor = await vendor_registry.create_vendor(
            admin, VendorInput(name="压测保洁", uscc="91350100M000100Y43", categories=["cleaning"])
        )
        clause = Clause(
            "SLA-1",
            "30分钟到场",
            "response_within",
            Decimal(90),
            Decimal(50),
            Decimal(1),
            threshold_minutes=30,
        )
        start = date(2026, 1, 1)
        contract, version = await contract_drafting.create_contract(
            admin,
            contract_drafting.ContractInput(
                number="HT-BENCH",
                title="压测",
                vendor_id=vendor,
                category="cleaning",
                start_date=start,
                end_date=date(2030, 12, 31),
                monthly_fee=Decimal(1000),
            ),
            Terms(effective_from=start, monthly_fee=Decimal(1000), clauses=[clause]),
        )
        await contract_drafting.sign(admin, version)
        campus = await locations.create(admin, "campus", "压测院区", "BENCH", pinyin="cyq")
        await routing.add_route(admin, "cleaning", campus, contract)
        place = await locations.require_place(campus)
        nurse = await accounts.principal_for_user(
            await accounts.create_account(
                admin,
                username="bench.nurse",
                password="bench-password-2026",
                role="ward",
                display_name="压测护士",
            )
        )
        agent = await accounts.principal_for_user(
            await accounts.create_account(
                admin,
                username="bench.agent",
                password="bench-password-2026",
                role="agent",
                display_name="压测坐席",
            )
        )
        now = datetime.now(UTC)
        rows = []
        for n in range(OPEN_REQUESTS):
            at = now - timedelta(minutes=n % 3000)
            rows.append(
                dict(
                    number=f"SR-SEED-{n:06d}",
                    contract=contract,
                    vendor_id=vendor,
                    category="cleaning",
                    priority="urgent",
                    location_id=campus,
                    location_path=place["path"],
                    location_name=place["full_name"],
                    description="seed",
                    contact_name="x",
                    contact_phone="8123",
                    channel="ward",
                    requested_by=nurse.user_id,
                    requested_by_name="x",
                    status=("submitted", "accepted", "on_site")[n % 3],
                    reported_at=at,
                    response_warn_at=at + timedelta(minutes=24),
                    response_due_at=at + timedelta(minutes=30),
                    # escalated already, as in a running centre (the scheduler's first tick
                    # would otherwise notify about thousands of them while the load runs)
                    response_escalation=2,
                    updated_at=now,
                )
            )
        async with db.transaction():
            await db.insert_all(ServiceRequest, rows)
        return {
            "place": campus,
            "nurse": (await accounts.create_token(nurse, "bench"))[1],
            "agent": (await accounts.create_token(agent, "bench"))[1],
        }


def wrk(url: str, env: dict, duration: int, connections: int):
    command = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{duration}s",
        "--latency",
        "-s",
        str(HERE / "servicedesk.lua"),
        url,
    ]
    output = subprocess.run(
        command, env=env, capture_output=True, text=True, check=True, timeout=duration + 60
    ).stdout
    return parse_wrk(output)


def board_ms(base: str, token: str) -> tuple[float, float]:
    """Median milliseconds of the board's counts and of its first page of open requests."""
    headers = {"Authorization": f"Bearer {token}"}
    medians = []
    with httpx.Client(base_url=base, headers=headers, timeout=10) as client:
        for path in ("/api/service/board", "/api/service/requests?status=open"):
            client.get(path).raise_for_status()  # warm
            times = []
            for _ in range(15):
                started = time.perf_counter()
                client.get(path).raise_for_status()
                times.append((time.perf_counter() - started) * 1000)
            medians.append(statistics.median(times))
    return medians[0], medians[1]


def run_backend(backend: str, duration: int, connections: int):
    data_dir = tempfile.mkdtemp(prefix=f"vendorgov-bench-sd-{backend}-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("VENDORGOV_")}
    env["VENDORGOV_DATA_DIR"] = data_dir
    if backend == "postgres":
        env["VENDORGOV_DATABASE_URL"] = asyncio.run(_reset_postgres())
    subprocess.run(
        [sys.executable, "-m", "vendorgov.cli", "migrate"], env=env, check=True, capture_output=True
    )
    seeded = json.loads(
        subprocess.run(
            [sys.executable, __file__, "--seed"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.splitlines()[-1]
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # The server's log, for when something fails (a pipe nobody reads would block it).
    log = open(Path(data_dir) / "server.log", "w")  # noqa: SIM115
    server = subprocess.Popen(
        [sys.executable, str(HERE / "server.py"), "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("the benchmark server did not start")
            time.sleep(0.2)
        board = board_ms(base, seeded["agent"])
        load_env = {
            **env,
            "VENDORGOV_BENCH_TOKEN": seeded["nurse"],
            "VENDORGOV_BENCH_PLACE": str(seeded["place"]),
        }
        results = []
        for path in ("/healthz/bench-floor", "/api/service/requests"):
            wrk(base + path, load_env, 3, connections)  # warm-up
            results.append(wrk(base + path, load_env, duration, connections))
        return results[0], results[1], board
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()
        errors = [line for line in open(log.name) if '"level":"error"' in line]
        if errors:
            print(f"{backend}: {len(errors)} errors; the first: {errors[0][:3000]}")
        shutil.rmtree(data_dir, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres", "all"), default="all")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seed", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed:
        print(json.dumps(asyncio.run(seed())))
        return 0
    if not shutil.which("wrk"):
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    backends = ["sqlite", "postgres"] if args.backend == "all" else [args.backend]
    if "postgres" in backends and not postgres_available():
        print("PostgreSQL does not answer on 127.0.0.1:5432: skipping it")
        backends.remove("postgres")
    print(
        f"request submit vs raw insert floor: {args.connections} connections, "
        f"{args.duration} s each; board over {OPEN_REQUESTS} open requests"
    )
    for backend in backends:
        floor, submit, (counts_ms, page_ms) = run_backend(backend, args.duration, args.connections)
        ratio = submit.rps / floor.rps
        ok = (
            ratio >= RATIO_TARGET
            and submit.p99_ms <= P99_LIMIT_MS
            and submit.non_2xx == 0
            and submit.errors == 0
        )
        print(f"{backend:<9} raw floor       {floor.rps:>8.0f} req/s  p99 {floor.p99_ms:6.1f} ms")
        print(
            f"{backend:<9} request submit  {submit.rps:>8.0f} req/s  p99 {submit.p99_ms:6.1f} ms"
            f"  non-2xx {submit.non_2xx}  ratio {ratio:.2f} (target ≥ {RATIO_TARGET}, "
            f"p99 ≤ {P99_LIMIT_MS:.0f} ms) {'PASS' if ok else 'FAIL'}"
        )
        board_ok = max(counts_ms, page_ms) <= BOARD_LIMIT_MS
        print(
            f"{backend:<9} board counts {counts_ms:6.1f} ms, open page {page_ms:6.1f} ms "
            f"(target ≤ {BOARD_LIMIT_MS:.0f} ms) {'PASS' if board_ok else 'FAIL'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
