"""Real processes: `vendorgov serve` and `vendorgov worker` on PostgreSQL and Redis. An import
started on the server is run by the worker and followed to its end; a month-end runs in the
worker while /healthz stays fast; a worker killed with kill -9 in the middle of a job is
restarted and the job ends once, with the result of a clean run.

Skipped unless the tests run on PostgreSQL and VENDORGOV_TEST_REDIS_URL names a Redis
database of their own (e.g. redis://127.0.0.1:6379/10): it is flushed."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import date

import httpx
import pytest

from tests.conftest import IS_POSTGRES, csrf_token, log_in
from tests.integration.test_inspections_notices import cleaning_contract
from tests.integration.test_sla_events import RESPOND, signed_contract, stored
from vendorgov.settings import get_settings

REDIS_URL = os.environ.get("VENDORGOV_TEST_REDIS_URL", "")
pytestmark = pytest.mark.skipif(
    not (IS_POSTGRES and REDIS_URL), reason="needs PostgreSQL and VENDORGOV_TEST_REDIS_URL"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env() -> dict:
    return {
        **os.environ,
        "VENDORGOV_REDIS_URL": REDIS_URL,
        # The test process's own key: the audit chain written by every process verifies.
        "VENDORGOV_SECRET_KEY": get_settings().secret_key,
    }


def _start(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "vendorgov.cli", *args],
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _stop(process: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
async def processes(world):
    import redis.asyncio as redis

    client = redis.from_url(REDIS_URL)
    await client.flushdb()
    await client.aclose()
    port = _free_port()
    server = _start("serve", "--port", str(port))
    workers = [_start("worker")]
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base) as probe:
        for _ in range(200):
            try:
                if (await probe.get("/healthz")).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the server did not start")
    yield base, workers
    for process in [server, *workers]:
        _stop(process)


async def _job(c: httpx.AsyncClient, world, job_id: str) -> dict:
    response = await c.get(
        f"/api/jobs/{job_id}", headers={"Authorization": f"Bearer {world.tokens['supervisor']}"}
    )
    assert response.status_code == 200, response.text
    return response.json()


async def _upload(c, contract_id: int, content: bytes) -> str:
    token = await csrf_token(c, f"/contracts/{contract_id}/events/import")
    response = await c.post(
        f"/contracts/{contract_id}/events/import",
        data={"_csrf_token": token},
        files={"file": ("helpdesk.csv", content, "text/csv")},
    )
    assert response.status_code in (302, 303), response.text
    return response.headers["location"].rsplit("/", 1)[1]


def _csv(rows: int) -> bytes:
    lines = ["external_id,category,priority,reported_at,responded_at"]
    lines += [
        f"W-{i},delivery,urgent,2026-10-{1 + i % 28:02d} 09:00,2026-10-{1 + i % 28:02d} 09:20"
        for i in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


async def test_an_import_runs_in_the_worker_and_a_killed_worker_ends_it_once(processes, world):
    base, workers = processes
    small, large = await signed_contract(world, [RESPOND]), await signed_contract(world, [RESPOND])
    async with httpx.AsyncClient(base_url=base) as c:
        assert (await log_in(c, "t.supervisor")).status_code in (302, 303)
        first = await _upload(c, small, _csv(50))
        for _ in range(600):
            job = await _job(c, world, first)
            if job["status"] in ("done", "failed"):
                break
            await asyncio.sleep(0.1)
        assert job["status"] == "done" and job["result"]["inserted"] == 50
        page = await c.get(f"/imports/{first}")
        assert "50 new events" in page.text

        rows = 300_000
        second = await _upload(c, large, _csv(rows))
        for _ in range(1200):
            job = await _job(c, world, second)
            if job["status"] == "running" and job["stage"] == "checking and writing":
                break
            await asyncio.sleep(0.02)
        killed_while = job["status"]
        workers[0].send_signal(signal.SIGKILL)
        workers[0].wait()
        workers.append(_start("worker"))
        deadline = time.monotonic() + 180  # SAQ sweeps a dead worker's job once a minute
        while time.monotonic() < deadline:
            job = await _job(c, world, second)
            if job["status"] in ("done", "failed"):
                break
            await asyncio.sleep(0.5)
    assert killed_while == "running"
    assert job["status"] == "done", job
    assert (job["result"]["inserted"], job["result"]["updated"]) == (rows, 0)
    assert len(await stored(large)) == rows


async def test_a_month_end_runs_in_the_worker_while_healthz_stays_fast(processes, world):
    base, _ = processes
    for _ in range(20):
        await cleaning_contract(world, world.vendor_a, start=date(2025, 1, 1))
    headers = {"Authorization": f"Bearer {world.tokens['finance']}"}
    latencies = []
    async with httpx.AsyncClient(base_url=base, headers=headers) as c:
        started = await c.post("/api/payments/runs", json={"month": "2025-07"})
        assert started.status_code == 202, started.text
        url = started.json()["url"]
        while True:
            before = time.perf_counter()
            assert (await c.get("/healthz")).status_code == 200
            latencies.append(time.perf_counter() - before)
            job = (await c.get(url)).json()
            if job["status"] in ("done", "failed"):
                break
            await asyncio.sleep(0.02)
        run = (await c.get(f"/api/payments/runs/{job['result']['run_id']}")).json()
    assert job["status"] == "done" and len(run["statements"]) >= 20
    assert max(latencies) < 0.05, latencies
