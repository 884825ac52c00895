"""The benchmark's server: the real vendorgov app plus a floor endpoint that inserts one row
with the raw driver. The floor lives here, never in the product. Its path starts with
/healthz, one of the app's public paths, so it skips authentication as a raw endpoint would.

python bench/server.py --port 8765
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
from datetime import UTC, datetime

import uvicorn
from litestar import post

from vendorgov.app import create_app
from vendorgov.cli import SERVER_OPTIONS
from vendorgov.settings import get_settings

FLOOR_PATH = "/healthz/bench-floor"
FLOOR_TABLE = (
    "CREATE TABLE IF NOT EXISTS bench_floor (id INTEGER PRIMARY KEY, name TEXT, uscc TEXT, "
    "created_at TEXT)"
)


def sqlite_floor():
    path = get_settings().database_url.split("sqlite:///", 1)[1]
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute("PRAGMA busy_timeout = 5000")
    connection.execute(FLOOR_TABLE)

    @post(FLOOR_PATH, include_in_schema=False, exclude_from_csrf=True)
    async def floor(data: dict) -> dict:
        cursor = connection.execute(
            "INSERT INTO bench_floor (name, uscc, created_at) VALUES (?, ?, ?)",
            (data["name"], data["uscc"], datetime.now(UTC).isoformat()),
        )
        return {"id": cursor.lastrowid}

    return floor


def postgres_floor():
    import asyncpg

    state: dict = {}
    # The first requests arrive together: one pool for all of them, not one each.
    opening = asyncio.Lock()

    async def pool():
        async with opening:
            if "pool" not in state:
                state["pool"] = await asyncpg.create_pool(
                    get_settings().database_url, min_size=2, max_size=20
                )
                await state["pool"].execute(
                    FLOOR_TABLE.replace("INTEGER PRIMARY KEY", "SERIAL PRIMARY KEY")
                )
        return state["pool"]

    @post(FLOOR_PATH, include_in_schema=False, exclude_from_csrf=True)
    async def floor(data: dict) -> dict:
        row = await (await pool()).fetchrow(
            "INSERT INTO bench_floor (name, uscc, created_at) VALUES ($1, $2, $3) RETURNING id",
            data["name"],
            data["uscc"],
            datetime.now(UTC).isoformat(),
        )
        return {"id": row["id"]}

    return floor


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    floor = sqlite_floor() if get_settings().is_sqlite else postgres_floor()
    app = create_app(extra_route_handlers=[floor])
    # As `vendorgov serve` runs in production: one worker; access log off on both endpoints.
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        **SERVER_OPTIONS,
    )


if __name__ == "__main__":
    main()
