"""The built wheel, installed in a fresh virtualenv away from the source tree, migrates and serves.

How the fresh environment gets its dependencies, and why that is honest:

- The wheel is built from a copy of the project (no build isolation: the running venv's
  setuptools, so no network and a few seconds), and installed into a new venv with --no-deps.
  Every file the app reads at run time (templates, static files incl. static/vendor/**, every
  domain's migrations) must therefore come from the wheel: the test first checks the wheel holds
  each non-code file of src/vendorgov, then runs the `vendorgov` script pip generated from the
  wheel's entry point, with the working directory and data dir in a temporary folder and no
  PYTHONPATH, and asserts that `vendorgov` is imported from the fresh venv.
- The third-party dependencies are this test run's own: a .pth file in the fresh venv appends
  the running venv's site-packages after the venv's own. A directory named in a .pth file is
  added to sys.path without running the .pth files inside it, so the running venv's editable
  install of vendorgov (a .pth import hook) stays invisible. Installing the locked runtime
  dependencies instead takes minutes and the network; that is what `make venv` proves (it
  installs requirements/dev.txt with --require-hashes). Set VENDORGOV_WHEEL_TEST_LOCK=1 to do it
  here too: then the fresh venv installs requirements/runtime.txt (hashes checked) and sees
  nothing of the running venv, so the runtime lock alone must be enough to serve.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.packaging

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "vendorgov"
FULL_INSTALL = os.environ.get("VENDORGOV_WHEEL_TEST_LOCK") == "1"
# What never goes into a checkout's build: environments, data, caches, earlier builds.
_NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "var", "build", "dist", "*.egg-info", "__pycache__", "*.pyc", ".*cache"
)


def _run(*args: str | Path, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=300, **kwargs
    )
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=_NOT_SOURCE)
    shutil.rmtree(source / "tests")
    dist = work / "dist"
    _run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "--no-index",
        "-q",
        "-w",
        dist,
        source,
    )
    (built,) = dist.glob("vendorgov-*.whl")
    return built


def test_the_wheel_holds_every_file_the_app_reads(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        "vendorgov/" + path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert expected - names == set()
    assert "vendorgov/static/vendor/swagger/swagger-ui-bundle.js" in names
    assert "vendorgov/templates/login.html" in names
    migrations = {n for n in names if re.fullmatch(r"vendorgov/\w+/migrations/\w+\.py", n)}
    domains = {n.split("/")[1] for n in migrations if not n.endswith("__init__.py")}
    assert domains >= {"vendors", "contracts", "sla", "payments", "tenders", "audit", "files"}


@pytest.fixture(scope="module")
def fresh_venv(wheel, tmp_path_factory) -> Path:
    venv = tmp_path_factory.mktemp("fresh") / "venv"
    python = venv / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps"]
    if FULL_INSTALL:
        _run(sys.executable, "-m", "venv", venv)
        lock = ROOT / "requirements" / "runtime.txt"
        _run(python, "-m", "pip", "install", "-q", "--require-hashes", "-r", lock)
    else:
        _run(sys.executable, "-m", "venv", "--without-pip", venv)
        where = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
        site = Path(_run(python, "-c", where).stdout.strip())
        ours = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
        (site / "zz_running_venv_deps.pth").write_text("".join(f"{p}\n" for p in ours))
    _run(*pip, "--no-index", wheel)
    return venv


def test_the_installed_wheel_migrates_and_serves_the_login_page(fresh_venv, tmp_path):
    bin_dir = fresh_venv / "bin"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("VENDORGOV_", "PYTHON", "PICCOLO_", "VIRTUAL_ENV"))
    }
    env |= {"VENDORGOV_DATA_DIR": str(tmp_path / "data"), "PATH": f"{bin_dir}:{env['PATH']}"}
    where = _run(
        bin_dir / "python",
        "-c",
        "import vendorgov.settings as s; print(s.PACKAGE_DIR)",
        cwd=tmp_path,
        env=env,
    )
    assert where.stdout.strip().startswith(str(fresh_venv)), where.stdout

    migrated = _run(bin_dir / "vendorgov", "migrate", cwd=tmp_path, env=env)
    assert "database is up to date" in migrated.stdout
    assert (tmp_path / "data" / "vendorgov.sqlite3").exists()

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = (tmp_path / "serve.log").open("w+")
    server = subprocess.Popen(
        [bin_dir / "vendorgov", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, Path(log.name).read_text()
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, Path(log.name).read_text()
            time.sleep(0.2)

        login = httpx.get(f"{base}/login", timeout=10)
        assert login.status_code == 200
        assert login.headers["content-type"].startswith("text/html")
        assert re.search(r'<form[^>]*method="post"', login.text, re.I)
        assert 'name="username"' in login.text and 'name="password"' in login.text
        assert 'name="_csrf_token"' in login.text
        assert re.fullmatch(r"[0-9a-f]{32}", login.headers["x-request-id"])
        for asset in ("app.css", "vendor/htmx.min.js", "vendor/swagger/swagger-ui.css"):
            static = httpx.get(f"{base}/static/{asset}", timeout=10)
            assert static.status_code == 200 and len(static.content) > 100, asset
        ready = httpx.get(f"{base}/readyz", timeout=10)
        assert ready.status_code == 200 and ready.json()["status"] == "ready"
    finally:
        server.terminate()
        server.wait(timeout=20)
    # The request was logged as one JSON line carrying the id the response echoed.
    text = Path(log.name).read_text()
    rid = login.headers["x-request-id"]
    assert re.search(rf'\{{"method":"GET","path":"/login".*"request_id":"{rid}"', text), text
