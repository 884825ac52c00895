"""The full month-end run at hospital-group size against its floor, on SQLite and PostgreSQL,
time and peak memory; then statement PDFs on both cores.

Data: bench/fixture.py (by default 2,000 contracts and 1,000,000 events in October 2026, with
the demo hospital, 50,000 findings, 20,000 notices, 24 approved months of runs before it, and
the month's inspections and surveys).

vendorgov: `payments.compute_run` for October 2026 over every contract in force, without PDFs
(the SLA measurement of every clause, the inspection, satisfaction and audit components, the
fee prorated over the versions in force, the grade deduction, the fixed penalties with their
evidence and the cap; everything written in one transaction). Floor: the same month's event
rows read with the raw driver (sqlite3; asyncpg on PostgreSQL) into a DataFrame and one
groupby. Each runs in a process of its own, which reports its time and its peak resident
memory (ru_maxrss, imports included); they alternate for --rounds rounds and the medians are
compared. Targets: time ≤ 2× the floor's, peak memory ≤ the floor's.

    python bench/month_end.py [--backend sqlite|postgres|all] [--contracts 2000]
        [--events 1000000] [--rounds 3] [--pdfs 200] [--pg-url URL]

`--contracts 10000 --events 10000000 --backend postgres --no-floor --pdfs 0` is the scale
check (it must complete; a floor holding ten million asyncpg records would need gigabytes).
--pg-url names a database the bench drops and creates again
(default $VENDORGOV_BENCH_PG_URL or postgresql://postgres@127.0.0.1:5432/vendorgov_bench_month).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fixture import MONTH, build  # noqa: E402

# The columns vendorgov reads (vendorgov.sla.measure.EVENT_COLUMNS), the month's rows.
FLOOR_SQL = (
    "SELECT contract, id, category, priority, reported_at, responded_at, resolved_at, "
    "satisfaction, complaint FROM service_event WHERE reported_at >= {} AND reported_at < {}"
)
COLUMNS = ["contract", "id", "category", "priority", "reported_at", "responded_at"]
COLUMNS += ["resolved_at", "satisfaction", "complaint"]


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def floor(url: str) -> dict:
    """In a process of its own: read the month's rows into pandas and group them."""
    import pandas as pd

    from vendorgov.settings import get_settings
    from vendorgov.sla.measure import Month

    month = Month.parse(MONTH)
    zone = get_settings().zone
    bounds = [month.start_utc(zone).to_pydatetime(), month.end_utc(zone).to_pydatetime()]
    if url.startswith("sqlite"):
        import sqlite3

        from vendorgov.db import sqlite_path

        connection = sqlite3.connect(sqlite_path(url))
        began, cpu = time.perf_counter(), time.process_time()
        rows = connection.execute(FLOOR_SQL.format("?", "?"), [str(b) for b in bounds]).fetchall()
    else:
        import asyncpg

        async def fetch():
            connection = await asyncpg.connect(url)
            try:
                return await connection.fetch(FLOOR_SQL.format("$1", "$2"), *bounds)
            finally:
                await connection.close()

        began, cpu = time.perf_counter(), time.process_time()
        rows = asyncio.run(fetch())
    frame = pd.DataFrame.from_records(rows, columns=COLUMNS)
    frame.groupby("contract").size()
    return {
        "seconds": time.perf_counter() - began,
        "cpu": time.process_time() - cpu,
        "rows": len(frame),
        "peak_mib": _peak_mib(),
    }


def vendorgov(url: str) -> dict:
    """In a process of its own: the month-end run as the job runs it."""
    from vendorgov import db
    from vendorgov.accounts import service as accounts
    from vendorgov.payments import service as payments
    from vendorgov.payments.tables import Statement
    from vendorgov.sla.measure import Month

    async def run() -> dict:
        async with db.lifespan_connections():
            finance = await accounts.principal_for_user(await accounts.user_id_for("zhao.li"))
            began, cpu = time.perf_counter(), time.process_time()
            run_id = await payments.compute_run(finance, Month.parse(MONTH), reason="bench")
            seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
            grades = await Statement.select(Statement.grade, Statement.net).where(
                Statement.run == run_id
            )
        return {
            "seconds": seconds,
            "cpu": cpu,
            "peak_mib": _peak_mib(),
            "run_id": run_id,
            "statements": len(grades),
            "grades": {g: sum(r["grade"] == g for r in grades) for g in "ABCD"},
            "net": str(sum(db.two_places(r["net"]) for r in grades)),
        }

    return asyncio.run(run())


def _child(kind: str, url: str, data_dir: str) -> dict:
    env = {**os.environ, "VENDORGOV_DATABASE_URL": url, "VENDORGOV_DATA_DIR": data_dir}
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--url", url],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.splitlines()[-1])


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def bench_backend(backend: str, url: str, data_dir: Path, args) -> dict | None:
    began = time.perf_counter()
    made = build(url, data_dir, contracts=args.contracts, events=args.events)
    print(
        f"[{backend}] data: {args.contracts:,} contracts, {args.events:,} events in {MONTH} "
        f"(+ the demo; built in {time.perf_counter() - began:.0f} s)",
        flush=True,
    )
    if args.no_floor:  # the scale check: does it complete, in how long, in how much memory
        ours = _child("vendorgov", url, str(data_dir))
        print(
            f"[{backend}] month-end, {ours['statements']:,} statements: {ours['seconds']:.1f} s "
            f"(CPU {ours['cpu']:.1f} s), peak memory {ours['peak_mib']:,.0f} MiB",
            flush=True,
        )
        return ours
    floors, ours = [], []
    for _ in range(args.rounds):
        floors.append(_child("floor", url, str(data_dir)))
        ours.append(_child("vendorgov", url, str(data_dir)))
    raw = statistics.median(f["seconds"] for f in floors)
    time_ = statistics.median(o["seconds"] for o in ours)
    raw_mib = statistics.median(f["peak_mib"] for f in floors)
    our_mib = statistics.median(o["peak_mib"] for o in ours)
    last = ours[-1]
    assert last["statements"] >= len(made.contract_ids), last
    print(
        f"[{backend}] rounds, floor / vendorgov: wall s (CPU s of the process; PostgreSQL's "
        "own work is not in it): "
        + ", ".join(
            f"{f['seconds']:.2f} ({f['cpu']:.2f}) / {o['seconds']:.2f} ({o['cpu']:.2f})"
            for f, o in zip(floors, ours, strict=True)
        )
    )
    print(
        f"[{backend}] month-end, {last['statements']:,} statements, {floors[-1]['rows']:,} "
        f"events in the month, median of {args.rounds}: vendorgov {time_:.2f} s; floor (read "
        f"into pandas + groupby) {raw:.2f} s; ratio {time_ / raw:.2f} (target ≤ 2.00) "
        f"{_verdict(time_ <= 2 * raw)}"
    )
    print(
        f"[{backend}] peak memory: vendorgov {our_mib:.0f} MiB, floor {raw_mib:.0f} MiB; "
        f"ratio {our_mib / raw_mib:.2f} (target ≤ 1.00) {_verdict(our_mib <= raw_mib)}"
    )
    print(
        f"[{backend}] grades: "
        + ", ".join(f"{g} {n:,}" for g, n in last["grades"].items())
        + f"; net {last['net']}",
        flush=True,
    )
    return last


def _statement_pdf(run: dict, statement: dict) -> int:
    from vendorgov.payments.documents import statement_pdf

    return len(statement_pdf(run, statement))


def _warm(run: dict, statement: dict) -> None:
    """Load WeasyPrint, the templates and the fonts in a worker before the clock starts (the
    single-process WeasyPrint time is measured warm too)."""
    _statement_pdf(run, statement)
    time.sleep(0.5)  # so that each worker takes one


def pdfs(run_id: int, count: int, workers: int = 2) -> None:
    """Statement PDFs of the last run with `workers` processes, beside WeasyPrint's own time
    for the same HTML in one process (rendered once, then write_pdf() alone, median of 5)."""
    from weasyprint import HTML

    from vendorgov import db
    from vendorgov.accounts import service as accounts
    from vendorgov.documents import render_html
    from vendorgov.payments import presentation
    from vendorgov.payments import reading as payment_reading
    from vendorgov.payments.documents import COMPONENT_LABELS, LINE_LABELS
    from vendorgov.settings import get_settings

    async def load() -> tuple[dict, list[dict]]:
        """The run and up to `count` of its statements as the statements' zip prepares them."""
        async with db.lifespan_connections():
            finance = await accounts.principal_for_user(await accounts.user_id_for("zhao.li"))
            run = await payment_reading.get_run(finance, run_id)
            prepared = []
            for s in run["statements"][:count]:
                shown, statement = await payment_reading.statement(finance, run_id, s["contract"])
                prepared.append(await presentation.prepare_statement(finance, shown, statement))
            return shown, prepared

    run, prepared = asyncio.run(load())
    statements = (prepared * (count // len(prepared) + 1))[:count]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(_warm, [run] * workers, statements[:workers]))
        began = time.perf_counter()
        sizes = list(pool.map(_statement_pdf, [run] * count, statements, chunksize=4))
        wall = (time.perf_counter() - began) / count
    html = render_html(
        "documents/statement.html",
        run=run,
        s=statements[0],
        component_labels=COMPONENT_LABELS,
        line_labels=LINE_LABELS,
    )
    base = str(get_settings().static_dir)
    HTML(string=html, base_url=base).write_pdf()  # warm: fonts and styles loaded once
    runs = []
    for _ in range(5):
        began = time.perf_counter()
        HTML(string=html, base_url=base).write_pdf()
        runs.append(time.perf_counter() - began)
    weasy = sorted(runs)[len(runs) // 2]
    print(
        f"{count} statement PDFs on {workers} workers: {wall * count:.1f} s, "
        f"{wall * 1000:.0f} ms per PDF; WeasyPrint alone for the same HTML "
        f"{weasy * 1000:.0f} ms (one process); ratio {wall / weasy:.2f} "
        f"(2 workers on 2 cores: 0.50 at best); {sum(sizes) / count / 1024:.0f} KiB each"
    )


def _postgres_answers(url: str) -> bool:
    import asyncpg

    async def probe() -> None:
        parsed = urlparse(url)
        connection = await asyncpg.connect(url.replace(parsed.path, "/postgres"), timeout=5)
        await connection.close()

    try:
        asyncio.run(probe())
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres", "all"), default="all")
    parser.add_argument("--contracts", type=int, default=2000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pdfs", type=int, default=200)
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(
            "VENDORGOV_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/vendorgov_bench_month"
        ),
    )
    parser.add_argument(
        "--no-floor", action="store_true", help="one vendorgov run, no floor (the scale check)"
    )
    parser.add_argument("--child", choices=("floor", "vendorgov"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps((floor if args.child == "floor" else vendorgov)(args.url)))
        return 0
    backends = ["sqlite", "postgres"] if args.backend == "all" else [args.backend]
    if args.backend == "all" and not _postgres_answers(args.pg_url):
        print(f"PostgreSQL does not answer at {args.pg_url}: SQLite only")
        backends.remove("postgres")
    for backend in backends:
        data_dir = Path(tempfile.mkdtemp(prefix=f"vendorgov-bench-month-end-{backend}-"))
        url = f"sqlite:///{data_dir}/vendorgov.sqlite3" if backend == "sqlite" else args.pg_url
        try:
            last = bench_backend(backend, url, data_dir, args)
            if args.pdfs and backend == backends[-1]:
                os.environ.update(VENDORGOV_DATABASE_URL=url, VENDORGOV_DATA_DIR=str(data_dir))
                pdfs(last["run_id"], args.pdfs)
        finally:
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
