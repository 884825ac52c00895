"""Browser tests: a real server (subprocess, own SQLite database with the demo hospital) driven
through Debian's Chromium by Playwright. Run with `make test-browser` (pytest -m browser)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest

CHROMIUM = os.environ.get("VENDORGOV_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
DEMO_PASSWORD = "vendorgov-demo"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_server():
    data_dir = tempfile.mkdtemp(prefix="vendorgov-browser-")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("VENDORGOV_DATABASE_URL", "VENDORGOV_TEST_DATABASE_URL")
    }
    env.update(
        VENDORGOV_DATA_DIR=data_dir,
        VENDORGOV_LOGIN_ATTEMPTS_PER_MINUTE="1000",
        VENDORGOV_BELL_POLL_S="2",  # the bell test waits for a poll
        # A clarification would postpone the deadline 15 days (§3a): the flows bid for seconds.
        VENDORGOV_CLARIFICATION_MARGIN_DAYS="0",
    )
    cli = [sys.executable, "-m", "vendorgov.cli"]
    for command in (["migrate"], ["demo"]):
        subprocess.run(cli + command, env=env, check=True, capture_output=True, timeout=300)
    port = _free_port()
    log = open(Path(data_dir) / "server.log", "w")
    server = subprocess.Popen(
        cli + ["serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            server.kill()
            pytest.fail("server did not start:\n" + (Path(data_dir) / "server.log").read_text())
        time.sleep(0.2)
    yield base
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make browser-deps)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser, live_server, request):
    context = browser.new_context(
        base_url=live_server, viewport={"width": 1280, "height": 900}, locale="en-US"
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def log_in(page, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    # The login form's button: the header's language switch is a form button too.
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
