"""Vendor-create API under load, against a raw-driver insert floor measured in the same run.

For each backend (SQLite always; PostgreSQL when 127.0.0.1:5432 answers) this makes a fresh
database, migrates it, creates a procurement account and API token, starts one server
(bench/server.py: the app plus the floor endpoint), then runs wrk for 64 connections against the
floor and against POST /api/vendors, and prints requests per second, p99 latency and the ratio
to the floor with its target. `make bench` runs it; CI never does.

    python bench/run.py [--backend sqlite|postgres|all] [--duration 10] [--connections 64]
"""

from __future__ import annotations

import argparse
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
# A scratch database, dropped and recreated each run (another name when several benches share
# one server).
PG_DATABASE = os.environ.get("VENDORGOV_BENCH_PG_DATABASE", "vendorgov_bench")
TARGETS = {"sqlite": (0.50, 100.0), "postgres": (0.60, None)}  # (ratio floor, p99 ms limit)


@dataclass
class Result:
    rps: float
    p99_ms: float
    non_2xx: int
    errors: int


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def parse_wrk(output: str) -> Result:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), "
        r"timeout (\d+)",
        output,
    )
    return Result(
        rps,
        p99,
        int(non_2xx.group(1)) if non_2xx else 0,
        sum(map(int, socket_errors.groups())) if socket_errors else 0,
    )


def wrk(
    url: str, env: dict, duration: int, connections: int, script: str = "vendor_create.lua"
) -> Result:
    command = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{duration}s",
        "--latency",
        "-s",
        str(HERE / script),
        url,
    ]
    output = subprocess.run(
        command, env=env, capture_output=True, text=True, check=True, timeout=duration + 60
    ).stdout
    return parse_wrk(output)


async def _reset_postgres() -> str:
    import asyncpg

    connection = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await connection.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
        await connection.execute(f"CREATE DATABASE {PG_DATABASE}")
    finally:
        await connection.close()
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{PG_DATABASE}"


def postgres_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=2):
            return True
    except OSError:
        return False


def fresh_database(backend: str) -> tuple[dict, str]:
    """A migrated scratch database: the environment naming it, and its data dir."""
    data_dir = tempfile.mkdtemp(prefix=f"vendorgov-bench-{backend}-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("VENDORGOV_")}
    env["VENDORGOV_DATA_DIR"] = data_dir
    if backend == "postgres":
        env["VENDORGOV_DATABASE_URL"] = asyncio.run(_reset_postgres())
    subprocess.run(CLI + ["migrate"], env=env, check=True, capture_output=True)
    return env, data_dir


CLI = [sys.executable, "-m", "vendorgov.cli"]


def run_backend(backend: str, duration: int, connections: int) -> tuple[Result, Result]:
    env, data_dir = fresh_database(backend)
    cli = CLI
    subprocess.run(
        cli
        + [
            "user",
            "create",
            "bench.officer",
            "--role",
            "procurement",
            "--name",
            "Benchmark officer",
        ],
        env=env,
        check=True,
        capture_output=True,
        input="bench-password-2026\n",
        text=True,
    )
    token = subprocess.run(
        cli + ["token", "create", "bench.officer", "--name", "bench"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    with serving(env) as base:
        load_env = {**env, "VENDORGOV_BENCH_TOKEN": token}
        sample = httpx.post(
            f"{base}/api/vendors",
            headers={"Authorization": f"Bearer {token}"},
            json={"name": "预热", "uscc": "91350100M000100Y43", "categories": ["cleaning"]},
        )
        if sample.status_code != 201:
            raise RuntimeError(f"vendor create answered {sample.status_code}: {sample.text}")
        results = []
        for index, path in enumerate(("/healthz/bench-floor", "/api/vendors")):
            load_env["VENDORGOV_BENCH_RUN"] = f"{index}{os.getpid() % 100000:05d}"
            wrk(
                base + path,
                {**load_env, "VENDORGOV_BENCH_RUN": "9" + load_env["VENDORGOV_BENCH_RUN"][1:]},
                3,
                connections,
            )  # warm-up
            results.append(wrk(base + path, load_env, duration, connections))
    shutil.rmtree(data_dir, ignore_errors=True)
    return results[0], results[1]


@contextmanager
def serving(env: dict) -> Iterator[str]:
    """bench/server.py on a free port with `env`, until the block ends; its base URL."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, str(HERE / "server.py"), "--port", str(port)],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
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
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres", "all"), default="all")
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
        f"vendor create vs raw insert floor: {args.connections} connections, "
        f"{args.duration} s each, {os.cpu_count()} cores, one server worker"
    )
    print(
        f"{'backend':<9} {'endpoint':<15} {'req/s':>9} {'p99 ms':>8} {'non-2xx':>8} "
        f"{'errors':>7}  ratio to floor"
    )
    for backend in backends:
        floor, vendor = run_backend(backend, args.duration, args.connections)
        ratio_target, p99_limit = TARGETS[backend]
        ratio = vendor.rps / floor.rps
        ok = (
            ratio >= ratio_target
            and (p99_limit is None or vendor.p99_ms < p99_limit)
            and vendor.non_2xx == 0
            and vendor.errors == 0
        )
        for name, result in (("raw floor", floor), ("vendor create", vendor)):
            print(
                f"{backend:<9} {name:<15} {result.rps:>9.0f} {result.p99_ms:>8.1f} "
                f"{result.non_2xx:>8} {result.errors:>7}",
                end="",
            )
            print(
                f"  {ratio:.2f} (target ≥ {ratio_target:.2f}"
                + (f", p99 < {p99_limit:.0f} ms" if p99_limit else "")
                + f") {'PASS' if ok else 'FAIL'}"
                if name == "vendor create"
                else ""
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
