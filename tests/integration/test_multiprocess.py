"""Two real app processes (`vendorgov serve` on two ports, each with its own data dir) sharing
one PostgreSQL database, one Redis and one secret key, as two hosts behind a load balancer:
a session, a CSRF token, the login rate limit and a token revocation made on one hold on the
other. Needs VENDORGOV_TEST_DATABASE_URL (PostgreSQL) and VENDORGOV_TEST_REDIS_URL."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import CSRF_RE, IS_POSTGRES, PASSWORD, unique
from vendorgov.settings import get_settings

REDIS_URL = os.environ.get("VENDORGOV_TEST_REDIS_URL", "")

pytestmark = pytest.mark.skipif(
    not (IS_POSTGRES and REDIS_URL),
    reason="needs VENDORGOV_TEST_DATABASE_URL (PostgreSQL) and VENDORGOV_TEST_REDIS_URL",
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def _hosts(tmp_path: Path, count: int = 2):
    """Start `count` app processes and yield their base URLs once all answer /healthz."""
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()  # no session or count left from an earlier run
    env = {
        **os.environ,
        "VENDORGOV_DATABASE_URL": os.environ["VENDORGOV_TEST_DATABASE_URL"],
        "VENDORGOV_REDIS_URL": REDIS_URL,
        # The test session's own key: the audit trail these processes extend stays verifiable.
        "VENDORGOV_SECRET_KEY": get_settings().secret_key,
        "VENDORGOV_LOGIN_ATTEMPTS_PER_MINUTE": "10",
        # As behind a reverse proxy on this machine: X-Forwarded-For names the client.
        "VENDORGOV_TRUSTED_PROXIES": "127.0.0.1",
    }
    processes, urls = [], []
    try:
        for number in range(count):
            port = _free_port()
            host_env = {**env, "VENDORGOV_DATA_DIR": str(tmp_path / f"host{number}")}
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "vendorgov.cli", "serve", "--port", str(port)],
                    env=host_env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
        # Starting is mostly importing (pandas, WeasyPrint): ~10 s, more on a busy machine.
        deadline = time.monotonic() + 90
        for process, url in zip(processes, urls, strict=True):
            while True:
                assert process.poll() is None, process.stderr.read().decode()[-2000:]
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, f"{url} did not start within 90 s"
                time.sleep(0.2)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


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


async def test_two_hosts_share_sessions_csrf_limits_and_token_revocation(world, tmp_path):
    with _hosts(tmp_path) as (one, two):
        # One client for both hosts: cookies ignore the port, as a browser's do behind a load
        # balancer that sends each request to either host.
        async with httpx.AsyncClient(follow_redirects=False, timeout=10) as browser:
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

            # Host one caches the token's principal; revoking it on host two clears that cache
            # (in Redis) at once, not after the cache's 10 seconds.
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

        # Eleven failed logins from one client address, alternating between the hosts: the
        # limit of 10 a minute is counted once for both, so the eleventh is refused.
        async with httpx.AsyncClient(follow_redirects=False, timeout=10) as attacker:
            codes = []
            for attempt in range(11):
                host = (one, two)[attempt % 2]
                response = await _log_in(attacker, host, "t.finance_c", "wrong!", "10.1.0.2")
                codes.append(response.status_code)
            assert codes == [401] * 10 + [429]
            # Another client address is not affected.
            other = await _log_in(attacker, two, "t.finance_c", "wrong!", "10.1.0.3")
            assert other.status_code == 401
