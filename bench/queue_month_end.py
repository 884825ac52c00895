"""Month-end for 200 contracts and 1,000,000 events through the job queue, against the direct
call, while a client polls /healthz.

vendorgov: a real `vendorgov serve` and a real `vendorgov worker` on Redis; POST
/api/payments/runs answers 202 and the worker computes the month. Measured from the job's
creation to its end (the job row's created_at and finished_at, written by the app and the
worker). Floor, in the same run: `payments.compute_run` called directly in this process on the
same data. Target: enqueue to done ≤ 1.2× the direct call. Meanwhile one client polls /healthz
back to back; target p99 ≤ 50 ms. Rounds alternate floor and queue; medians are compared.

The data is bench/fixture.py's (the demo hospital and the bench contracts with their month's
events), on SQLite in a scratch data dir (the queue on Redis either way); the direct call is
bench/month_end.py's.

    python bench/queue_month_end.py [--events 1000000] [--contracts 200] [--rounds 3]
        [--redis redis://127.0.0.1:6379/15]   (that Redis database is flushed)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from fixture import build  # noqa: E402
from month_end import vendorgov as direct_month_end  # noqa: E402
from tests.integration.processes import cluster  # noqa: E402

JOB_TIMEOUT_S = 600


async def finance_token(username: str) -> str:
    from vendorgov import db
    from vendorgov.accounts import service as accounts

    async with db.lifespan_connections():
        finance = await accounts.principal_for_user(await accounts.user_id_for(username))
        return (await accounts.create_token(finance, "bench"))[1]


class HealthPoller(threading.Thread):
    """GET /healthz back to back until stopped; the latencies of those sent while `recording`."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.recording, self.latencies = url, False, []
        self._stop_event = threading.Event()

    def run(self) -> None:
        with httpx.Client(timeout=30) as client:
            while not self._stop_event.is_set():
                began = time.perf_counter()
                assert client.get(f"{self.url}/healthz").status_code == 200
                if self.recording:
                    self.latencies.append(time.perf_counter() - began)
                time.sleep(0.005)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def queued_month_end(url: str, token: str, month: str) -> float:
    """Seconds from the job's creation to its end, as its row records them."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        started = client.post("/api/payments/runs", json={"month": month, "reason": "bench"})
        assert started.status_code == 202, started.text
        deadline = time.monotonic() + JOB_TIMEOUT_S
        while time.monotonic() < deadline:
            job = client.get(started.json()["url"]).json()
            if job["status"] in ("done", "failed"):
                break
            time.sleep(0.05)
    assert job["status"] == "done", job
    created, finished = (datetime.fromisoformat(job[k]) for k in ("created_at", "finished_at"))
    return (finished - created).total_seconds()


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98] if len(values) > 1 else values[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--contracts", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/15")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="vendorgov-bench-queue-"))
    os.environ["VENDORGOV_DATA_DIR"] = str(data_dir)
    os.environ.pop("VENDORGOV_DATABASE_URL", None)
    os.environ.pop("VENDORGOV_REDIS_URL", None)  # the direct call runs here, without a queue
    os.environ["VENDORGOV_SECRET_KEY"] = secret = secrets.token_hex(32)
    database = data_dir / "vendorgov.sqlite3"
    try:
        db_url = f"sqlite:///{database}"
        made = build(
            db_url,
            data_dir,
            contracts=args.contracts,
            events=args.events,
            findings=2 * args.contracts,
            notices=args.contracts // 10,
            tenders=0,
            months=0,
        )
        token = asyncio.run(finance_token(made.logins["finance"][0]))
        print(
            f"data: {args.contracts} contracts, {args.events:,} events in {made.month} "
            f"(built in {made.seconds:.1f} s)"
        )
        directs, queued = [], []
        with cluster(db_url, args.redis, secret, data_dir, apps=1, workers=1) as hosts:
            (url,) = hosts.urls
            poller = HealthPoller(url)
            poller.start()
            try:
                for _ in range(args.rounds):
                    directs.append(direct_month_end(db_url)["seconds"])
                    poller.recording = True
                    queued.append(queued_month_end(url, token, made.month))
                    poller.recording = False
            finally:
                poller.stop()
        direct, through_queue = statistics.median(directs), statistics.median(queued)
        ratio = through_queue / direct
        latencies = poller.latencies
        print(
            "rounds (direct / queue, s): "
            + ", ".join(f"{d:.2f} / {q:.2f}" for d, q in zip(directs, queued, strict=True))
        )
        print(
            f"month-end through the queue, {args.contracts} contracts, {args.events:,} events "
            f"(SQLite, Redis), median of {args.rounds}: enqueue to done {through_queue:.2f} s; "
            f"direct compute_run {direct:.2f} s; ratio {ratio:.2f} (target ≤ 1.20) "
            f"{'PASS' if ratio <= 1.2 else 'FAIL'}"
        )
        print(
            f"/healthz meanwhile: {len(latencies)} requests, p50 "
            f"{statistics.median(latencies) * 1000:.1f} ms, p99 {p99(latencies) * 1000:.1f} ms "
            f"(target ≤ 50 ms) {'PASS' if p99(latencies) <= 0.05 else 'FAIL'}, "
            f"max {max(latencies) * 1000:.1f} ms"
        )
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
