"""Every page of every role, one client, on the large data (bench/fixture.py: 2,000 contracts,
1 M events, 50,000 findings, 20,000 notices, 1,000 tenders, 24 months of runs): server time
(median and p95) and response size against the targets (≤ 50 ms median, ≤ 150 ms p95,
≤ 200 KiB), each beside the same client's time for /healthz in the same run (the floor:
routing, middleware and the client alone).

Requests go to the app in-process (httpx's ASGI transport): the time measured is the server's,
without a network. Pages of each role: its navigation, then the detail pages it reaches from
them (a contract, its events and scorecard, a vendor, a tender, a run, a notice list filtered).
Each backend's measurement runs in its own process (the settings are per process).

    python bench/pages.py [--backend sqlite|postgres|all] [--contracts 2000] [--events 1000000]
                          [--findings 50000] [--notices 20000] [--tenders 1000] [--requests 20]

PostgreSQL: $VENDORGOV_BENCH_PG_URL or postgresql://postgres@127.0.0.1:5432/vendorgov_bench_pages
(dropped and created again).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fixture import Sizes, build  # noqa: E402

MEDIAN_MS, P95_MS, MAX_KIB = 50.0, 150.0, 200.0
PG_URL = os.environ.get(
    "VENDORGOV_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/vendorgov_bench_pages"
)
CSRF_RE = re.compile(r'name="_csrf_token" value="([^"]+)"')


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


async def detail_ids(contract_id: int) -> dict:
    """The ids the detail pages need: the bench's first contract (the vendor login's), its
    vendor, the first tender and the newest run."""
    from vendorgov.contracts.tables import Contract
    from vendorgov.payments.tables import PaymentRun
    from vendorgov.tenders.tables import Tender

    contract = await Contract.select(Contract.vendor).where(Contract.id == contract_id).first()
    tender = await Tender.select(Tender.id).order_by(Tender.id).first()
    run = await PaymentRun.select(PaymentRun.id).order_by(PaymentRun.id, ascending=False).first()
    return {
        "contract": contract_id,
        "vendor": contract["vendor"],
        "tender": tender["id"],
        "run": run["id"],
    }


async def log_in(client, username: str, password: str) -> None:
    token = CSRF_RE.search((await client.get("/login")).text).group(1)
    response = await client.post(
        "/login",
        data={"username": username, "password": password, "_csrf_token": token, "next": "/"},
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


async def measure(logins: dict, contract_id: int, count: int, say) -> int:
    import httpx

    from vendorgov import db
    from vendorgov.app import create_app

    app = create_app()
    failures = 0
    async with db.lifespan_connections():
        # What the server does once started (templates compiled, start-up objects frozen out
        # of the garbage collector's sight), without its job worker and scheduler, which would
        # start the fixture's due jobs while pages are timed.
        for hook in app.on_startup:
            hook()
        ids = await detail_ids(contract_id)
        for role, (username, password) in logins.items():
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url="http://bench.local",
                follow_redirects=True,
            ) as client:
                await log_in(client, username, password)
                _, floor_times, _ = await timed(client, "/healthz", count)
                floor = statistics.median(floor_times)
                say(f"\n{role}: floor /healthz median {floor:.2f} ms")
                say(f"  {'page':48} {'median':>8} {'p95':>8} {'KiB':>7}  ratios")
                for path in pages_of(role.split("_")[0], ids):
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


def measure_in_this_process(url: str, data_dir: str, made: dict, count: int) -> int:
    """The measurement, in a process whose settings point at the fixture's database."""
    os.environ["VENDORGOV_DATABASE_URL"] = url
    os.environ["VENDORGOV_DATA_DIR"] = data_dir
    # The app's request logs are written (their cost is the server's) but not shown: the
    # report goes to the original stdout, the logs' descriptors to /dev/null.
    report = open(os.dup(1), "w", buffering=1)  # noqa: SIM115 (kept open to the end)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    say = functools.partial(print, file=report)
    failures = asyncio.run(measure(made["logins"], made["contract"], count, say))
    say(f"\n{failures} page(s) over a target")
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres", "all"), default="all")
    for name, default in asdict(Sizes()).items():
        if name != "seed":
            parser.add_argument(f"--{name}", type=int, default=default)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--measure", nargs=3, help=argparse.SUPPRESS)  # url, data dir, JSON
    args = parser.parse_args()
    if args.measure:
        url, data_dir, made = args.measure
        return measure_in_this_process(url, data_dir, json.loads(made), args.requests)
    sizes = {k: getattr(args, k) for k in asdict(Sizes()) if k != "seed"}
    backends = ["sqlite", "postgres"] if args.backend == "all" else [args.backend]
    failures = 0
    for backend in backends:
        data_dir = Path(tempfile.mkdtemp(prefix="vendorgov-bench-pages-"))
        url = PG_URL if backend == "postgres" else f"sqlite:///{data_dir / 'vendorgov.sqlite3'}"
        try:
            fixture = build(url, data_dir, **sizes)
            print(
                f"\n== {backend}: "
                + ", ".join(f"{k} {v:,}" for k, v in sizes.items())
                + f" (built in {fixture.seconds:.0f} s); {args.requests} requests a page, one "
                f"client; targets: median ≤ {MEDIAN_MS:.0f} ms, p95 ≤ {P95_MS:.0f} ms, "
                f"≤ {MAX_KIB:.0f} KiB (ratios: median/p95/size of target)",
                flush=True,
            )
            made = {"logins": fixture.logins, "contract": fixture.contract_ids[0]}
            done = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--requests",
                    str(args.requests),
                    "--measure",
                    url,
                    str(data_dir),
                    json.dumps(made),
                ],
                check=False,
            )
            failures += done.returncode != 0
        finally:
            shutil.rmtree(data_dir, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
