"""Hot writes under load, against a raw-driver insert floor measured in the same run.

For each backend (SQLite always; PostgreSQL when 127.0.0.1:5432 answers) this makes a fresh
database with the demo hospital, creates API tokens for its procurement officer and its
supervisor, starts one server (bench/server.py: the app plus the floor endpoint) and runs wrk
with 64 connections against the floor, POST /api/vendors (vendor create) and
POST /api/inspections (inspection submit), printing requests per second, p99 latency and the
ratio to the floor with its target. `make bench` runs it; CI never does.

    python bench/run.py [--backend sqlite|postgres|all] [--duration 10] [--connections 64]
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime, timedelta

import httpx
import loadgen

# Issue 15: each hot write at ≥ 0.5 of the floor with p99 ≤ 50 ms, on SQLite and PostgreSQL.
RATIO_TARGET, P99_LIMIT_MS = 0.50, 50.0
FLOOR_PATH = "/healthz/bench-floor"


def inspection_body() -> str:
    """An all-passed inspection of the demo's first cleaning contract on its active
    checklist, a minute ago; @TOKEN@ stands for each request's client_token."""
    return json.dumps(
        {
            "contract_id": 1,
            "template_id": 1,
            "kind": "routine",
            "location": "住院部3楼 Ward 3",
            "inspected_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
            "results": {str(key): "pass" for key in range(1, 6)},
            "client_token": "@TOKEN@",
        },
        ensure_ascii=False,
    )


def _check(answer: httpx.Response, what: str) -> None:
    if answer.status_code != 201:
        raise RuntimeError(f"{what} answered {answer.status_code}: {answer.text}")


def run_backend(backend: str, duration: int, connections: int) -> dict[str, loadgen.Result]:
    with loadgen.demo_database(backend) as env:
        officer = loadgen.api_token(env, "wang.min")
        supervisor = loadgen.api_token(env, "li.qiang")
        port = loadgen.free_port()
        server = [sys.executable, str(loadgen.HERE / "server.py"), "--port", str(port)]
        with loadgen.serving(server, env, port) as base:
            body = inspection_body()
            _check(
                httpx.post(
                    f"{base}/api/vendors",
                    headers={"Authorization": f"Bearer {officer}"},
                    json={"name": "预热", "uscc": "91350100M000100Y43", "categories": ["cleaning"]},
                ),
                "vendor create",
            )
            _check(
                httpx.post(
                    f"{base}/api/inspections",
                    headers={"Authorization": f"Bearer {supervisor}"},
                    content=body.replace("@TOKEN@", "bench-sample").encode(),
                ),
                "inspection submit",
            )
            runs = {
                "raw floor": (FLOOR_PATH, "vendor_create.lua", officer),
                "vendor create": ("/api/vendors", "vendor_create.lua", officer),
                "inspection submit": ("/api/inspections", "inspection_submit.lua", supervisor),
            }
            results = {}
            for index, (name, (path, script, token)) in enumerate(runs.items()):
                load_env = {**env, "VENDORGOV_BENCH_TOKEN": token, "VENDORGOV_BENCH_BODY": body}
                run_id = f"{index}{os.getpid() % 100000:05d}"
                for prefix, seconds in (("9", 3), ("", duration)):  # warm-up, then measured
                    load_env["VENDORGOV_BENCH_RUN"] = prefix + run_id[len(prefix) :]
                    results[name] = loadgen.wrk(
                        base + path, seconds, connections, script=script, env=load_env
                    )
            return results


def main() -> int:
    return loadgen.compare_main(
        __doc__.split("\n")[0],
        "hot writes vs raw insert floor: {connections} connections, {duration} s each, "
        "{cores} cores, one server worker, demo data",
        run_backend,
        "raw floor",
        RATIO_TARGET,
        P99_LIMIT_MS,
        default_backend="all",
    )


if __name__ == "__main__":
    sys.exit(main())
