"""Real vendorgov processes for the tests (and the queue benchmark) that need them: `vendorgov
serve` on free ports and `vendorgov worker`, sharing one database, one Redis, one data dir (the
file store every host mounts) and one secret key, as hosts behind a load balancer would."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

# Starting is mostly importing (pandas, WeasyPrint): ~10 s, more on a busy machine.
START_TIMEOUT_S = 90


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Cluster:
    """App processes (`urls`, one per port) and workers; `kill_worker` and `start_worker` let a
    test kill one mid-job and start its replacement."""

    def __init__(self, env: dict, log_dir: Path) -> None:
        self.env = env
        self.log_dir = log_dir
        self.urls: list[str] = []
        self.workers: list[subprocess.Popen] = []
        self._all: list[subprocess.Popen] = []

    def _start(self, name: str, *args: str) -> subprocess.Popen:
        # stderr to a file, not a pipe: a pipe nobody reads blocks a chatty process.
        log = (self.log_dir / f"{name}-{len(self._all)}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "vendorgov.cli", *args],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
        )
        self._all.append(process)
        return process

    def log_tail(self) -> str:
        return "\n".join(p.read_text()[-1500:] for p in sorted(self.log_dir.glob("*.log")))

    def serve(self) -> str:
        port = free_port()
        self._start("serve", "serve", "--port", str(port))
        self.urls.append(f"http://127.0.0.1:{port}")
        return self.urls[-1]

    def start_worker(self) -> subprocess.Popen:
        self.workers.append(self._start("worker", "worker"))
        return self.workers[-1]

    def kill_worker(self, worker: subprocess.Popen) -> None:
        worker.send_signal(signal.SIGKILL)
        worker.wait()

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        for url in self.urls:
            while True:
                dead = [p for p in self._all if p.poll() is not None]
                assert not dead, self.log_tail()
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, f"{url} did not start\n{self.log_tail()}"
                time.sleep(0.2)

    def stop(self) -> None:
        for process in self._all:
            if process.poll() is None:
                process.terminate()
        for process in self._all:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def cluster(
    database_url: str,
    redis_url: str,
    secret_key: str,
    data_dir: Path,
    apps: int = 2,
    workers: int = 1,
    **settings: str,
):
    """`apps` app processes and `workers` workers, yielded once every app answers /healthz.
    The Redis database is flushed first: no session or count is left from an earlier run."""
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "VENDORGOV_DATABASE_URL": database_url,
        "VENDORGOV_REDIS_URL": redis_url,
        "VENDORGOV_SECRET_KEY": secret_key,
        "VENDORGOV_DATA_DIR": str(data_dir),
        **{f"VENDORGOV_{name.upper()}": value for name, value in settings.items()},
    }
    running = Cluster(env, data_dir)
    try:
        for _ in range(apps):
            running.serve()
        for _ in range(workers):
            running.start_worker()
        running.wait_ready()
        yield running
    finally:
        running.stop()
