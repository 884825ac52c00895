"""Two real app processes (`vendorgov serve` on two ports) and one `vendorgov worker` sharing
one PostgreSQL database, one Redis, one file store and one secret key, as hosts behind a load
balancer: a session, a CSRF token, the login rate limit and a token revocation made on one hold
on the other; an import started on one is followed to its end on the other; a month-end runs in
the worker while both answer /healthz fast; a worker killed with kill -9 mid-job is replaced and
the job ends once, with the result of a clean run.

Skipped unless the tests run on PostgreSQL and VENDORGOV_TEST_REDIS_URL names a Redis database
of their own (e.g. redis://127.0.0.1:6379/10): it is flushed."""

from __future__ import annotations

import asyncio
import os
import re
import time
from datetime import date

import httpx
import pytest

from tests.conftest import CSRF_RE, IS_POSTGRES, PASSWORD, unique
from tests.integration.processes import cluster
from tests.integration.test_inspections_notices import cleaning_contract
from tests.integration.test_sla_events import RESPOND, signed_contract, stored
from vendorgov.settings import get_settings

REDIS_URL = os.environ.get("VENDORGOV_TEST_REDIS_URL", "")
# The tests read the English pages (the interface is Chinese unless the browser asks).
ENGLISH = {"Accept-Language": "en"}

pytestmark = pytest.mark.skipif(
    not (IS_POSTGRES and REDIS_URL),
    reason="needs VENDORGOV_TEST_DATABASE_URL (PostgreSQL) and VENDORGOV_TEST_REDIS_URL",
)


@pytest.fixture(scope="module")
def hosts(world, tmp_path_factory):
    """The processes, started once for the module: starting them is most of its time."""
    with cluster(
        os.environ["VENDORGOV_TEST_DATABASE_URL"],
        REDIS_URL,
        # The test session's own key: the audit trail these processes extend stays verifiable.
        get_settings().secret_key,
        tmp_path_factory.mktemp("cluster"),
        login_attempts_per_minute="10",
        # As behind a reverse proxy on this machine: X-Forwarded-For names the client.
        trusted_proxies="127.0.0.1",
    ) as running:
        yield running


async def _csrf(client: httpx.AsyncClient, url: str) -> str:
    page = await client.get(url)
    assert page.status_code == 200, page.text
    match = CSRF_RE.search(page.text)
    assert match, f"no CSRF field on {url}"
    return match.group(1)


async def _log_in(client, host: str, username: str, password: str, address: str):
    token = await _csrf(client, f"{host}/login")
    return await client.post(
        f"{host}/login",
        data={"username": username, "password": password, "_csrf_token": token, "next": "/"},
        headers={"X-Forwarded-For": address},
    )


async def _job(client: httpx.AsyncClient, host: str, world, job_id: str) -> dict:
    response = await client.get(
        f"{host}/api/jobs/{job_id}",
        headers={"Authorization": f"Bearer {world.tokens['supervisor']}"},
    )
    assert response.status_code == 200, response.text
    return response.json()


async def _upload(client, host: str, contract_id: int, content: bytes) -> str:
    path = f"{host}/contracts/{contract_id}/events/import"
    response = await client.post(
        path,
        data={"_csrf_token": await _csrf(client, path)},
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


async def test_sessions_csrf_limits_and_token_revocation_hold_across_hosts(hosts):
    one, two = hosts.urls
    # One client for both hosts: cookies ignore the port, as a browser's do behind a load
    # balancer that sends each request to either host.
    async with httpx.AsyncClient(follow_redirects=False, timeout=10, headers=ENGLISH) as browser:
        logged_in = await _log_in(browser, one, "t.finance_c", PASSWORD, "10.1.0.1")
        assert logged_in.status_code in (302, 303), logged_in.text
        assert (await browser.get(f"{two}/tokens")).status_code == 200

        # A CSRF token from host one's form is accepted by host two.
        name = unique("multi-host")
        token = await _csrf(browser, f"{one}/tokens")
        created = await browser.post(f"{two}/tokens", data={"name": name, "_csrf_token": token})
        assert created.status_code == 201, created.text
        api_token = re.search(r'id="new-token">([^<]+)<', created.text).group(1)
        forged = await browser.post(
            f"{two}/tokens", data={"name": name, "_csrf_token": token[:-4] + "abcd"}
        )
        assert forged.status_code == 403

        # Host one caches the token's principal; revoking it on host two clears that cache (in
        # Redis) at once, not after the cache's 10 seconds.
        bearer = {"Authorization": f"Bearer {api_token}"}
        assert (await browser.get(f"{one}/api/me", headers=bearer)).status_code == 200
        listing = (await browser.get(f"{two}/tokens")).text
        row = next(r for r in listing.split("<tr>") if f"<td>{name}</td>" in r)
        token_id = re.search(r"/tokens/(\d+)/revoke", row).group(1)
        revoked = await browser.post(
            f"{two}/tokens/{token_id}/revoke",
            data={"_csrf_token": await _csrf(browser, f"{one}/tokens")},
        )
        assert revoked.status_code in (302, 303), revoked.text
        assert (await browser.get(f"{one}/api/me", headers=bearer)).status_code == 401

    # Eleven failed logins from one client address, alternating between the hosts: the limit
    # of 10 a minute is counted once for both, so the eleventh is refused.
    async with httpx.AsyncClient(follow_redirects=False, timeout=10, headers=ENGLISH) as attacker:
        codes = []
        for attempt in range(11):
            host = hosts.urls[attempt % 2]
            response = await _log_in(attacker, host, "t.finance_c", "wrong!", "10.1.0.2")
            codes.append(response.status_code)
        assert codes == [401] * 10 + [429]
        # Another client address is not affected.
        other = await _log_in(attacker, two, "t.finance_c", "wrong!", "10.1.0.3")
        assert other.status_code == 401


async def test_an_import_started_on_one_host_is_followed_to_its_end_on_the_other(hosts, world):
    one, two = hosts.urls
    contract = await signed_contract(world, [RESPOND])
    async with httpx.AsyncClient(timeout=10, headers=ENGLISH) as browser:
        logged_in = await _log_in(browser, one, "t.supervisor", PASSWORD, "10.1.1.1")
        assert logged_in.status_code in (302, 303), logged_in.text
        job_id = await _upload(browser, one, contract, _csv(50))
        for _ in range(600):
            job = await _job(browser, two, world, job_id)
            if job["status"] in ("done", "failed"):
                break
            await asyncio.sleep(0.1)
        assert job["status"] == "done" and job["result"]["inserted"] == 50, job
        page = await browser.get(f"{two}/imports/{job_id}")
    assert page.status_code == 200 and "50 new events" in page.text
    assert len(await stored(contract)) == 50


async def test_a_month_end_runs_in_the_worker_while_both_hosts_answer_fast(hosts, world):
    # Enough contracts that the run lasts while both hosts are asked several times (the
    # month-end got fast: twenty took some 40 ms).
    for _ in range(60):
        await cleaning_contract(world, world.vendor_a, start=date(2025, 1, 1))
    headers = {"Authorization": f"Bearer {world.tokens['finance']}"}
    latencies: dict[str, list[float]] = {url: [] for url in hosts.urls}
    async with httpx.AsyncClient(headers=headers, timeout=10) as c:
        started = await c.post(f"{hosts.urls[0]}/api/payments/runs", json={"month": "2025-07"})
        assert started.status_code == 202, started.text
        url = started.json()["url"]
        while True:
            for host, seen in latencies.items():
                before = time.perf_counter()
                assert (await c.get(f"{host}/healthz")).status_code == 200
                seen.append(time.perf_counter() - before)
            job = (await c.get(f"{hosts.urls[1]}{url}")).json()
            if job["status"] in ("done", "failed"):
                break
            await asyncio.sleep(0.005)
        run = (await c.get(f"{hosts.urls[1]}/api/payments/runs/{job['result']['run_id']}")).json()
    assert job["status"] == "done" and len(run["statements"]) >= 60
    for host, seen in latencies.items():
        assert len(seen) >= 3 and max(seen) < 0.05, (host, seen)


async def test_a_worker_killed_mid_job_is_replaced_and_the_job_ends_once(hosts, world):
    """Last in the module: it replaces the worker the other tests used."""
    one, two = hosts.urls
    rows = 100_000
    contract = await signed_contract(world, [RESPOND])
    async with httpx.AsyncClient(timeout=30, headers=ENGLISH) as browser:
        logged_in = await _log_in(browser, one, "t.supervisor", PASSWORD, "10.1.2.1")
        assert logged_in.status_code in (302, 303), logged_in.text
        job_id = await _upload(browser, one, contract, _csv(rows))
        for _ in range(1200):
            job = await _job(browser, two, world, job_id)
            if job["status"] == "running" and job["stage"] == "checking and writing":
                break
            await asyncio.sleep(0.02)
        killed_while = (job["status"], job["attempts"])
        hosts.kill_worker(hosts.workers[0])
        hosts.start_worker()
        # SAQ's sweep in the new worker finds the dead heartbeat; the retry waits out the lease.
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            job = await _job(browser, two, world, job_id)
            if job["status"] in ("done", "failed"):
                break
            await asyncio.sleep(0.5)
    assert killed_while == ("running", 1)
    # Done once, by the second attempt, with what a clean run of the file gives.
    assert job["status"] == "done" and job["attempts"] == 2, job
    assert (job["result"]["inserted"], job["result"]["updated"]) == (rows, 0)
    assert len(await stored(contract)) == rows
