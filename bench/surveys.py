"""The anonymous survey answer endpoint under load, against the raw single-insert floor
measured in the same run (bench/run.py's server and floor).

For each backend it migrates a scratch database, makes a ward and an open survey, writes
devices with their signed form tokens (each request answers from its own device, as phones
do: one answer per device and day), starts the server with the answer rate limit off (wrk
sends everything from one address; Litestar's limiter keeps every request's time of the
window, so a huge limit would measure its bookkeeping instead), and runs wrk at 64
connections against the floor and against POST /s/<survey>. Targets: ratio ≥ 0.5 and p99 ≤ 50 ms.

    python bench/surveys.py [--backend sqlite|postgres|all] [--duration 10] [--connections 64]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import loadgen  # noqa: E402

TARGET_RATIO, P99_LIMIT_MS = 0.5, 50.0
DEVICES_PER_SECOND = 8000  # more than either backend answers


async def _prepare(out: Path, count: int) -> None:
    """Run inside the benchmark's environment: the ward, the survey and the device files."""
    from vendorgov import db
    from vendorgov.accounts import service as accounts
    from vendorgov.audit.service import SYSTEM
    from vendorgov.locations import service as locations
    from vendorgov.surveys import rules, service

    async with db.lifespan_connections():
        user = await accounts.create_account(
            SYSTEM,
            username="bench.sup",
            password="bench-password-2026",
            role="supervisor",
            display_name="Bench supervisor",
        )
        supervisor = await accounts.principal_for_user(user)
        parent = None
        for kind in ("campus", "building", "floor", "area"):
            parent = await locations.create(supervisor, kind, f"压测{kind}", f"B-{kind}", parent)
        survey_id = await service.create(
            supervisor,
            rules.Definition(
                "压测满意度", "patient", ["一", "二", "三"], [], ["cleaning"], {parent: 10**5}
            ),
        )
        await service.set_status(supervisor, survey_id, "open")
        version = (await service.detail(supervisor, survey_id, ""))["current"]["id"]
        for name in ("warmup", "run"):
            with open(out / f"{name}.txt", "w") as devices:
                for _ in range(count):
                    device = service.new_device_id()
                    devices.write(f"{device} {service.form_token(survey_id, device)}\n")
    print(survey_id, parent, version)


def run_backend(backend: str, duration: int, connections: int):
    with loadgen.demo_database(backend) as env:
        return _measure(env, duration, connections)


def _measure(env: dict, duration: int, connections: int):
    data_dir = env["VENDORGOV_DATA_DIR"]
    env["VENDORGOV_SURVEY_ANSWERS_PER_MINUTE"] = "0"  # no limit
    prepared = subprocess.run(
        [sys.executable, __file__, "--prepare", data_dir, str(DEVICES_PER_SECOND * duration)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    survey_id, ward, version = (int(x) for x in prepared[-3:])
    port = loadgen.free_port()
    server = [sys.executable, str(loadgen.HERE / "server.py"), "--port", str(port)]
    with loadgen.serving(server, env, port) as base:
        load_env = {
            **env,
            "VENDORGOV_BENCH_FIELDS": f"version={version}&w={ward}&questions=3&q1=5&q2=4&q3=",
            "VENDORGOV_BENCH_RUN": f"{os.getpid() % 100000:06d}",
        }
        floor_url = base + "/healthz/bench-floor"
        loadgen.wrk(floor_url, 3, connections, script="vendor_create.lua", env=load_env)  # warm-up
        floor = loadgen.wrk(
            floor_url, duration, connections, script="vendor_create.lua", env=load_env
        )
        answer_url = f"{base}/s/{survey_id}"
        warm = {**load_env, "VENDORGOV_BENCH_DEVICES": f"{data_dir}/warmup.txt"}
        loadgen.wrk(answer_url, 3, connections, script="survey_answer.lua", env=warm)
        run = {**load_env, "VENDORGOV_BENCH_DEVICES": f"{data_dir}/run.txt"}
        answers = loadgen.wrk(
            answer_url, duration, connections, script="survey_answer.lua", env=run
        )
    return floor, answers


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres", "all"), default="all")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--prepare", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        asyncio.run(_prepare(Path(args.prepare[0]), int(args.prepare[1])))
        return 0
    if not shutil.which("wrk"):
        print("wrk is not installed (apt-get install wrk; `make bench` does it)", file=sys.stderr)
        return 2
    backends = ["sqlite", "postgres"] if args.backend == "all" else [args.backend]
    if "postgres" in backends and not loadgen.postgres_available():
        print("PostgreSQL does not answer on 127.0.0.1:5432: skipping it")
        backends.remove("postgres")
    print(f"survey answer vs raw insert floor: {args.connections} connections, {args.duration} s")
    print(
        f"{'backend':<9} {'endpoint':<15} {'req/s':>9} {'p99 ms':>8} {'non-2xx':>8} {'errors':>7}"
    )
    for backend in backends:
        floor, answers = run_backend(backend, args.duration, args.connections)
        ratio = answers.rps / floor.rps
        ok = ratio >= TARGET_RATIO and answers.p99_ms <= P99_LIMIT_MS and answers.non_2xx == 0
        for name, r in (("raw floor", floor), ("survey answer", answers)):
            print(f"{backend:<9} {name:<15} {r.rps:>9.0f} {r.p99_ms:>8.1f} ", end="")
            print(f"{r.non_2xx:>8} {r.errors:>7}")
        print(
            f"{backend:<9} ratio {ratio:.2f} (target ≥ {TARGET_RATIO}, "
            f"p99 ≤ {P99_LIMIT_MS:.0f} ms) {'PASS' if ok else 'FAIL'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
