"""Database engines and transactions.

Piccolo's stock SQLite engine opens a new aiosqlite connection (a new thread, a new file handle,
a PRAGMA) for every statement outside a transaction, hops to that thread for every call, and
starts transactions DEFERRED, so two concurrent writers can deadlock on the lock upgrade and
fail with "database is locked" whatever the busy timeout. That is why a bare Piccolo insert
endpoint reached a sixth of the raw sqlite3 rate with second-long tail latencies.

vendorgov's SQLite engine instead keeps two persistent connections in WAL mode: one for reads
outside transactions and one writer. SQLite statements on OLTP rows take microseconds, far less
than a hop to a worker thread, so they run inline on the event loop, as a raw sqlite3 endpoint
does. Writers queue on an asyncio lock in the process (so they never spin on the file lock) and
begin IMMEDIATE transactions; when another process (the CLI) holds the file lock, the writer
waits with asyncio.sleep, keeping the server responsive, until the busy timeout passes.

PostgreSQL uses Piccolo's engine with an asyncpg connection pool opened at start-up.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any
from urllib.parse import urlparse

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import (
    SQLiteEngine,
    SQLiteTransaction,
    TransactionType,
    dict_factory,
)

# Retry the file lock in short inline waits, yielding to the event loop between tries.
_INLINE_BUSY_MS = 20
_BUSY_TIMEOUT_S = 15.0


def _is_locked(error: sqlite3.OperationalError) -> bool:
    return "locked" in str(error) or "busy" in str(error)


class _Cursor:
    """The slice of aiosqlite's cursor that Piccolo uses, over a sqlite3 cursor."""

    def __init__(self, cursor: sqlite3.Cursor):
        self._cursor = cursor

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def execute(self, sql: str, args: Any = ()) -> _Cursor:
        self._cursor.execute(sql, args)
        return self

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    async def close(self) -> None:
        self._cursor.close()

    async def __aenter__(self) -> _Cursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()


class _Statement:
    """Awaitable and async-context-managed, like aiosqlite's ``connection.execute``."""

    def __init__(self, connection: _Connection, sql: str, args: Any):
        self._connection = connection
        self._sql = sql
        self._args = args
        self._cursor: _Cursor | None = None

    async def _run(self) -> _Cursor:
        deadline = time.monotonic() + _BUSY_TIMEOUT_S
        while True:
            try:
                return _Cursor(self._connection.raw.execute(self._sql, self._args or ()))
            except sqlite3.OperationalError as error:
                if not _is_locked(error) or time.monotonic() > deadline:
                    raise
            await asyncio.sleep(0.005)

    def __await__(self):
        return self._run().__await__()

    async def __aenter__(self) -> _Cursor:
        self._cursor = await self._run()
        return self._cursor

    async def __aexit__(self, *exc: object) -> None:
        if self._cursor is not None:
            await self._cursor.close()


class _Connection:
    """A persistent sqlite3 connection with the async surface Piccolo expects."""

    def __init__(self, raw: sqlite3.Connection):
        self.raw = raw
        self.row_factory = dict_factory

    def execute(self, sql: str, args: Any = ()) -> _Statement:
        return _Statement(self, sql, args)

    async def commit(self) -> None:
        """Statements outside transactions autocommit (isolation_level=None)."""

    async def close(self) -> None:
        """Persistent: closed only by the engine."""


class VendorgovSQLiteEngine(SQLiteEngine):
    def __init__(self, path: str, **connection_kwargs: Any) -> None:
        super().__init__(path=path, check_same_thread=False, **connection_kwargs)
        self._reader: _Connection | None = None
        self._writer: _Connection | None = None
        self._locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}

    def _open(self) -> _Connection:
        raw = sqlite3.connect(**self.connection_kwargs)
        raw.row_factory = dict_factory
        raw.execute(f"PRAGMA busy_timeout = {_INLINE_BUSY_MS}")
        raw.execute("PRAGMA journal_mode = WAL")
        # Safe in WAL mode: a power cut may lose the last commits, never corrupt the file.
        raw.execute("PRAGMA synchronous = NORMAL")
        raw.execute("PRAGMA foreign_keys = ON")
        raw.execute("PRAGMA temp_store = MEMORY")
        return _Connection(raw)

    @property
    def reader(self) -> _Connection:
        if self._reader is None:
            self._reader = self._open()
        return self._reader

    @property
    def writer(self) -> _Connection:
        if self._writer is None:
            self._writer = self._open()
        return self._writer

    def write_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        return lock

    def close(self) -> None:
        for connection in (self._reader, self._writer):
            if connection is not None:
                connection.raw.close()
        self._reader = self._writer = None
        self._locks.clear()

    async def get_connection(self) -> _Connection:  # type: ignore[override]
        # Piccolo's batch() reads through this.
        return self.reader

    async def _run_in_new_connection(
        self, query: str, args: list[Any] | None = None, query_type: str = "generic", table=None
    ):
        if query.lstrip()[:6].upper() == "SELECT":
            async with self.reader.execute(query, args or ()) as cursor:
                return await cursor.fetchall()
        async with self.write_lock(), self.writer.execute(query, args or ()) as cursor:
            return await cursor.fetchall()

    async def _run_in_existing_connection(
        self,
        connection,
        query: str,
        args: list[Any] | None = None,
        query_type="generic",
        table=None,
    ):
        async with connection.execute(query, args or ()) as cursor:
            return await cursor.fetchall()

    def transaction(  # type: ignore[override]
        self, transaction_type: TransactionType = TransactionType.immediate, allow_nested=True
    ) -> _WriterTransaction:
        # Every transaction here writes, so it takes the write lock up front (IMMEDIATE):
        # a DEFERRED one that upgrades later can deadlock with another writer.
        return _WriterTransaction(self, TransactionType.immediate, allow_nested)


class _WriterTransaction(SQLiteTransaction):
    engine: VendorgovSQLiteEngine

    async def __aenter__(self):
        if self._parent is not None:
            return self._parent
        self._held = self.engine.write_lock()
        await self._held.acquire()
        try:
            return await super().__aenter__()
        except BaseException:
            self._held.release()
            raise

    async def get_connection(self) -> _Connection:
        return self.engine.writer

    async def __aexit__(self, exception_type, exception, traceback) -> bool:
        if self._parent is not None:
            return await super().__aexit__(exception_type, exception, traceback)
        try:
            return await super().__aexit__(exception_type, exception, traceback)
        finally:
            self._held.release()


def make_engine(database_url: str) -> Engine:
    parsed = urlparse(database_url)
    if parsed.scheme == "sqlite":
        # sqlite:///relative/path or sqlite:////absolute/path
        path = database_url.split("sqlite:///", 1)[1]
        return VendorgovSQLiteEngine(path=path)
    if parsed.scheme in ("postgres", "postgresql"):
        return PostgresEngine(config={"dsn": database_url})
    raise ValueError(
        f"VENDORGOV_DATABASE_URL: unsupported scheme {parsed.scheme!r} "
        "(use sqlite:///path or postgresql://user@host/db)"
    )


def engine() -> Engine:
    from piccolo.engine.finder import engine_finder

    found = engine_finder()
    assert found is not None, "piccolo_conf defines no DB"
    return found


def transaction():
    """A write transaction on the configured engine."""
    return engine().transaction()


async def lock_for_append(name: str) -> None:
    """Serialise appends to an ordered chain (the audit trail) within a transaction.

    SQLite transactions here already hold the single write lock; PostgreSQL takes a
    transaction-scoped advisory lock keyed by the name.
    """
    db = engine()
    if isinstance(db, PostgresEngine):
        await db.run_ddl(f"SELECT pg_advisory_xact_lock({zlib.crc32(name.encode())})")


_open_users = 0


@asynccontextmanager
async def lifespan_connections() -> AsyncIterator[None]:
    """Open the PostgreSQL pool while anything (the app, a command, a test session) needs it;
    close it, or SQLite's handles, when the last user leaves. Nesting is allowed."""
    global _open_users
    db = engine()
    if _open_users == 0 and isinstance(db, PostgresEngine):
        await db.start_connection_pool(min_size=2, max_size=20)
    _open_users += 1
    try:
        yield
    finally:
        _open_users -= 1
        if _open_users == 0:
            if isinstance(db, PostgresEngine):
                await db.close_connection_pool()
            elif isinstance(db, VendorgovSQLiteEngine):
                db.close()


@lru_cache(maxsize=512)
def _placeholders(template: str, postgres: bool) -> str:
    """'… {} … {}' → '… ? … ?' (SQLite) or '… $1 … $2' (PostgreSQL)."""
    if not postgres:
        return template.replace("{}", "?")
    parts = template.split("{}")
    return "".join(f"{part}${i}" for i, part in enumerate(parts[:-1], start=1)) + parts[-1]


async def fetch(template: str, *args: Any) -> list[dict]:
    """Run one statement with '{}' placeholders in the current transaction (or outside one)
    and return its rows as dicts. For the few hot paths where Piccolo's query building costs
    more than the database: the SQL text is compiled once and the driver called directly.
    Argument and result types go through the same adapters as Piccolo's queries."""
    db = engine()
    if isinstance(db, PostgresEngine):
        sql = _placeholders(template, postgres=True)
        current = db.current_transaction.get()
        if current is not None:
            return [dict(r) for r in await current.connection.fetch(sql, *args)]
        async with db.pool.acquire() as connection:
            return [dict(r) for r in await connection.fetch(sql, *args)]
    sql = _placeholders(template, postgres=False)
    current = db.current_transaction.get()
    if current is not None:
        return await db._run_in_existing_connection(current.connection, sql, list(args))
    return await db._run_in_new_connection(sql, list(args))


async def execute_many(template: str, rows: list[tuple]) -> None:
    """One statement with '{}' placeholders for many rows, inside the current transaction:
    the driver's executemany, for bulk imports."""
    db = engine()
    current = db.current_transaction.get()
    assert current is not None, "execute_many runs inside a transaction"
    if isinstance(db, PostgresEngine):
        await current.connection.executemany(_placeholders(template, postgres=True), rows)
    else:
        current.connection.raw.executemany(_placeholders(template, postgres=False), rows)


def icontains(column, text: str):
    """Case-insensitive substring match: ILIKE on PostgreSQL; SQLite's LIKE already ignores
    ASCII case (and Piccolo warns when asked for ILIKE there)."""
    pattern = f"%{text}%"
    return column.like(pattern) if isinstance(engine(), SQLiteEngine) else column.ilike(pattern)
