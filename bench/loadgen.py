"""What the wrk benchmarks share: a fresh database per backend (migrated, with the demo
hospital), servers started and stopped, wrk runs parsed into req/s and p99, result lines."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
PG_ADMIN_URL = os.environ.get("VENDORGOV_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
PG_DATABASE = os.environ.get("VENDORGOV_BENCH_PG_DATABASE", "vendorgov_bench")
CLI = [sys.executable, "-m", "vendorgov.cli"]
CSRF_RE = re.compile(r'name="_csrf_token" value="([^"]+)"')


@dataclass
class Result:
    rps: float
    p99_ms: float
    non_2xx: int
    errors: int


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def parse_wrk(output: str) -> Result:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return Result(
        rps,
        p99,
        int(non_2xx.group(1)) if non_2xx else 0,
        sum(map(int, socket_errors.groups())) if socket_errors else 0,
    )


def wrk(
    url: str,
    duration: int,
    connections: int,
    *,
    script: str | None = None,
    headers: dict[str, str] | None = None,
    env: dict | None = None,
) -> Result:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if script:
        command += ["-s", str(HERE / script)]
    output = subprocess.run(
        command + [url],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=duration + 60,
    ).stdout
    return parse_wrk(output)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=2):
            return True
    except OSError:
        return False


async def _reset_postgres() -> str:
    import asyncpg

    connection = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await connection.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
        await connection.execute(f"CREATE DATABASE {PG_DATABASE}")
    finally:
        await connection.close()
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{PG_DATABASE}"


@contextmanager
def demo_database(backend: str) -> Iterator[dict]:
    """The environment of a fresh database (a temporary data dir; on PostgreSQL the scratch
    database, dropped and created again) migrated and loaded with the demo hospital."""
    data_dir = tempfile.mkdtemp(prefix=f"vendorgov-bench-{backend}-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("VENDORGOV_")}
    env["VENDORGOV_DATA_DIR"] = data_dir
    if backend == "postgres":
        env["VENDORGOV_DATABASE_URL"] = asyncio.run(_reset_postgres())
    try:
        subprocess.run(CLI + ["migrate"], env=env, check=True, capture_output=True)
        subprocess.run(CLI + ["demo"], env=env, check=True, capture_output=True)
        yield env
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def api_token(env: dict, username: str) -> str:
    return subprocess.run(
        CLI + ["token", "create", username, "--name", "bench"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def session_cookie(base: str, username: str, password: str) -> str:
    """A logged-in session's Cookie header, for page benchmarks."""
    with httpx.Client(base_url=base) as client:
        token = CSRF_RE.search(client.get("/login").text).group(1)
        answer = client.post(
            "/login",
            data={"username": username, "password": password, "_csrf_token": token, "next": "/"},
        )
        if answer.status_code != 302:
            raise RuntimeError(f"login as {username} answered {answer.status_code}")
        return "; ".join(f"{k}={v}" for k, v in client.cookies.items())


@contextmanager
def serving(command: list[str], env: dict, port: int, ready_path: str = "/healthz"):
    """A server process, stopped on exit; waits until ready_path answers 200. Its log lines
    (one JSON line per request and response) go to /dev/null, as a production server's go to
    a log collector without stopping it; errors to a file, shown if it fails to start."""
    base = f"http://127.0.0.1:{port}"
    errors = tempfile.TemporaryFile("w+")
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=errors, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + ready_path, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None:
                errors.seek(0)
                raise RuntimeError(f"the server did not start: {errors.read()[-2000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start within 60 s")
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        errors.close()


HEADER = (
    f"{'backend':<9} {'endpoint':<20} {'req/s':>8} {'p99 ms':>8} {'non-2xx':>8} {'errors':>7}"
    "  ratio"
)


def line(backend: str, name: str, result: Result, verdict: str = "") -> str:
    return (
        f"{backend:<9} {name:<20} {result.rps:>8.0f} {result.p99_ms:>8.1f} "
        f"{result.non_2xx:>8} {result.errors:>7}  {verdict}"
    ).rstrip()


def verdict(result: Result, floor: Result, ratio_target: float, p99_limit: float) -> str:
    """The ratio to the floor and PASS when it, the p99 and the error counts meet targets."""
    ratio = result.rps / floor.rps
    ok = (
        ratio >= ratio_target
        and result.p99_ms <= p99_limit
        and result.non_2xx == 0
        and result.errors == 0
    )
    return (
        f"{ratio:.3f} (target ≥ {ratio_target:.2f}, p99 ≤ {p99_limit:.0f} ms) "
        f"{'PASS' if ok else 'FAIL'}"
    )


def compare_main(
    description: str,
    heading: str,
    run_backend,
    floor_name: str,
    ratio_target: float,
    p99_limit: float,
    default_backend: str = "all",
) -> int:
    """The command line of a wrk comparison: each backend's runs (`run_backend(backend,
    duration, connections)` → {name: Result}) printed against the one named `floor_name`.
    `heading` may use {connections}, {duration} and {cores}."""
    import argparse

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "all"), default=default_backend)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is not installed (apt-get install wrk; `make bench` does it)", file=sys.stderr)
        return 2
    backends = ["sqlite", "postgres"] if args.backend == "all" else [args.backend]
    if "postgres" in backends and not postgres_available():
        print("PostgreSQL does not answer on 127.0.0.1:5432: skipping it")
        backends.remove("postgres")
    print(
        heading.format(connections=args.connections, duration=args.duration, cores=os.cpu_count())
    )
    print(HEADER)
    for backend in backends:
        results = run_backend(backend, args.duration, args.connections)
        floor = results[floor_name]
        for name, result in results.items():
            judged = "" if result is floor else verdict(result, floor, ratio_target, p99_limit)
            print(line(backend, name, result, judged), flush=True)
    return 0
