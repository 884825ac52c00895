"""The reads benchmark's yardstick: a Litestar hello-world, served as vendorgov is (uvicorn, same
loop and HTTP options, access log off, the given number of workers).

python bench/hello.py --port 8766 --workers 2
"""

from __future__ import annotations

import argparse
from pathlib import Path

import uvicorn
from litestar import Litestar, get

from vendorgov.cli import SERVER_OPTIONS


@get("/", sync_to_thread=False)
def hello() -> str:
    return "Hello, world!"


@get("/healthz", sync_to_thread=False)
def healthz() -> dict:
    return {"status": "ok"}


app = Litestar(route_handlers=[hello, healthz])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    uvicorn.run(
        "hello:app",
        app_dir=str(Path(__file__).parent),
        host="127.0.0.1",
        port=args.port,
        workers=args.workers,
        log_level="warning",
        access_log=False,
        **SERVER_OPTIONS,
    )


if __name__ == "__main__":
    main()
