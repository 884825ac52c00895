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

Under load the commit was the largest single cost of a write request: every COMMIT appends each
page the transaction touched (table and index leaves of the row, of its categories, of its audit
entry: about ten 4 KiB pages for a vendor) to the WAL. Writers that queue behind each other
therefore share one commit (group commit): each runs inside a SAVEPOINT of a shared transaction,
so its own failure rolls back only its own work, and the commit runs as a task queued behind the
requests that are ready on the event loop, so those join the batch first. A request's transaction
returns only once that commit is done, so nothing is reported saved before it is; if the commit
fails, every member fails.

PostgreSQL uses Piccolo's engine with an asyncpg connection pool opened at start-up.
"""

from __future__ import annotations

import asyncio
import io
import os
import sqlite3
import time
import zlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from decimal import ROUND_HALF_UP, Decimal
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
from piccolo.table import Table

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


def private_sqlite_file(path: str) -> None:
    """The database file for the service's user alone (0600), created so or tightened (it was
    world-readable); SQLite gives its -wal and -shm files the same mode. An existing file is
    only chmod-ed: closing a descriptor of it would drop this process's SQLite locks on it."""
    if os.path.exists(path):
        os.chmod(path, 0o600)
    else:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))


class VendorgovSQLiteEngine(SQLiteEngine):
    def __init__(self, path: str, **connection_kwargs: Any) -> None:
        super().__init__(path=path, check_same_thread=False, **connection_kwargs)
        self._reader: _Connection | None = None
        self._bulk_reader: sqlite3.Connection | None = None
        self._writer: _Connection | None = None
        self._queues: dict[asyncio.AbstractEventLoop, _WriteQueue] = {}

    def _open(self) -> _Connection:
        private_sqlite_file(self.path)
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
    def bulk_reader(self) -> sqlite3.Connection:
        """A reader without Piccolo's per-value type converters (see fetch_chunks)."""
        if self._bulk_reader is None:
            self._bulk_reader = sqlite3.connect(self.path, check_same_thread=False)
            self._bulk_reader.execute(f"PRAGMA busy_timeout = {_INLINE_BUSY_MS}")
        return self._bulk_reader

    @property
    def writer(self) -> _Connection:
        if self._writer is None:
            self._writer = self._open()
        return self._writer

    def queue(self) -> _WriteQueue:
        loop = asyncio.get_running_loop()
        queue = self._queues.get(loop)
        if queue is None:
            queue = self._queues[loop] = _WriteQueue(self)
        return queue

    def close(self) -> None:
        for connection in (self._reader, self._writer):
            if connection is not None:
                connection.raw.close()
        if self._bulk_reader is not None:
            self._bulk_reader.close()
        self._reader = self._writer = self._bulk_reader = None
        self._queues.clear()

    async def get_connection(self) -> _Connection:  # type: ignore[override]
        # Piccolo's batch() reads through this.
        return self.reader

    async def _run_in_new_connection(
        self, query: str, args: list[Any] | None = None, query_type: str = "generic", table=None
    ):
        if query.lstrip()[:6].upper() == "SELECT":
            async with self.reader.execute(query, args or ()) as cursor:
                return await cursor.fetchall()
        async with self.transaction(), self.writer.execute(query, args or ()) as cursor:
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


# A batch commits after this many transactions even if more are ready, to bound how long the
# first member waits for its commit.
_MAX_BATCH = 64


class _Batch:
    """One SQLite transaction shared by the writers that ran while it was open."""

    def __init__(self) -> None:
        self.committed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.members = 0
        self.flush: asyncio.Task[None] | None = None
        self.memo: dict[str, Any] = {}


class _WriteQueue:
    """The writer connection's owner in one event loop: a FIFO lock and the open batch."""

    def __init__(self, engine: VendorgovSQLiteEngine) -> None:
        self.engine = engine
        self.lock = asyncio.Lock()
        self.batch: _Batch | None = None

    async def acquire(self) -> _Batch:
        await self.lock.acquire()
        if self.batch is None:
            try:
                await self.engine.writer.execute("BEGIN IMMEDIATE")
            except BaseException:
                self.lock.release()
                raise
            self.batch = _Batch()
        return self.batch

    async def release(self, batch: _Batch) -> None:
        """Leave the batch open for the writers that are ready to run now, and commit it once
        they have: the commit runs as a task queued behind them on the event loop."""
        if batch.members >= _MAX_BATCH:
            try:
                await self._commit(batch)
            finally:
                self.lock.release()
            return
        self.lock.release()
        if batch.flush is None:
            batch.flush = asyncio.get_running_loop().create_task(self._flush(batch))

    async def _commit(self, batch: _Batch) -> None:
        self.batch = None
        try:
            await self.engine.writer.execute("COMMIT")
        except BaseException as error:
            if self.engine.writer.raw.in_transaction:
                self.engine.writer.raw.execute("ROLLBACK")
            batch.committed.set_exception(error)
            batch.committed.exception()  # members that were cancelled never retrieve it
            raise
        batch.committed.set_result(None)

    async def _flush(self, batch: _Batch) -> None:
        async with self.lock:
            if self.batch is batch:
                try:
                    await self._commit(batch)
                except Exception:
                    pass  # every member that waits for the batch gets the error


class _WriterTransaction(SQLiteTransaction):
    """A write transaction: a savepoint inside the writer's shared batch (see the module
    docstring). Nested transactions join their parent."""

    engine: VendorgovSQLiteEngine

    async def __aenter__(self):
        if self._parent is not None:
            return self._parent
        self._queue = self.engine.queue()
        self._batch = await self._queue.acquire()
        self.connection = self.engine.writer
        try:
            await self.connection.execute("SAVEPOINT member")
        except BaseException:
            await self._queue.release(self._batch)
            raise
        self._memo_before = dict(self._batch.memo)
        self.context = self.engine.current_transaction.set(self)
        return self

    async def get_connection(self) -> _Connection:
        return self.engine.writer

    async def __aexit__(self, exception_type, exception, traceback) -> bool:
        if self._parent is not None:
            return exception is None
        self.engine.current_transaction.reset(self.context)
        batch = self._batch
        try:
            if exception is not None:
                batch.memo = self._memo_before
                await self.connection.execute("ROLLBACK TO SAVEPOINT member")
            await self.connection.execute("RELEASE SAVEPOINT member")
            if exception is None:
                batch.members += 1
        finally:
            await self._queue.release(batch)
        if exception is None:
            # Shielded: a client that disconnects must not leave the batch without a waiter
            # for its outcome, and the work is committed (or not) either way.
            await asyncio.shield(batch.committed)
        return exception is None


def sqlite_path(database_url: str) -> str:
    """The file of sqlite:///relative/path or sqlite:////absolute/path."""
    return database_url.split("sqlite:///", 1)[1]


def make_engine(database_url: str) -> Engine:
    parsed = urlparse(database_url)
    if parsed.scheme == "sqlite":
        return VendorgovSQLiteEngine(path=sqlite_path(database_url))
    if parsed.scheme in ("postgres", "postgresql"):
        return PostgresEngine(config={"dsn": database_url})
    raise ValueError(
        f"VENDORGOV_DATABASE_URL: unsupported scheme {parsed.scheme!r} "
        "(use sqlite:///path or postgresql://user@host/db)"
    )


@lru_cache(maxsize=1)
def engine() -> Engine:
    """The engine piccolo_conf configures (looked up once: the lookup imports and searches
    modules, a noticeable cost on every query)."""
    from piccolo.engine.finder import engine_finder

    found = engine_finder()
    assert found is not None, "piccolo_conf defines no DB"
    return found


def transaction_memo() -> dict[str, Any] | None:
    """A dict that lives as long as the SQLite write batch of the current transaction, for
    values that only writers change and that every writer reads (the audit chain's head).
    What a transaction puts there is undone with its rollback. None on PostgreSQL, where each
    transaction stands alone, and outside transactions."""
    current = engine().current_transaction.get()
    return current._batch.memo if isinstance(current, _WriterTransaction) else None


def is_unique_violation(error: BaseException) -> bool:
    """Whether the driver refused a row for breaking a unique index or constraint."""
    if isinstance(error, sqlite3.IntegrityError):
        return "UNIQUE constraint failed" in str(error)
    return type(error).__name__ == "UniqueViolationError"  # asyncpg's


def is_foreign_key_violation(error: BaseException) -> bool:
    """Whether the driver refused a change for breaking a foreign key (a row still referred to,
    or a reference to a row that does not exist)."""
    if isinstance(error, sqlite3.IntegrityError):
        return "FOREIGN KEY constraint failed" in str(error)
    return type(error).__name__ == "ForeignKeyViolationError"  # asyncpg's


def transaction():
    """A write transaction on the configured engine."""
    return engine().transaction()


def is_postgres() -> bool:
    return isinstance(engine(), PostgresEngine)


def locked(query):
    """A Piccolo SELECT that locks the rows it reads until the transaction ends (FOR UPDATE) on
    PostgreSQL, so a state change decided on what it read cannot race another one: the second
    waits, then reads the first one's result. SQLite needs no lock and has none: its write
    transactions are IMMEDIATE, so only one runs at a time."""
    return query.lock_rows() if is_postgres() else query


async def serialize(name: str) -> None:
    """Inside a transaction: wait for the other transactions that called serialize(name) to
    end, and hold the turn until this one ends (a transaction-scoped advisory lock on
    PostgreSQL). For what no row lock covers, such as taking the next number of a series.
    SQLite needs nothing: its write transactions run one at a time."""
    if is_postgres():
        await fetch("SELECT pg_advisory_xact_lock({})", zlib.crc32(name.encode()))


_open_users = 0


async def _keep_session(connection: object) -> None:
    """asyncpg resets every connection it takes back into the pool with a query (RESET ALL,
    UNLISTEN *, CLOSE ALL, unlock advisory locks): one more round trip per request, a tenth of
    a vendor create. vendorgov leaves no session state behind (no SET, LISTEN, cursors or
    session-level locks: only transaction-scoped ones), and asyncpg still rolls back any open
    transaction before calling this, so there is nothing to reset."""


@asynccontextmanager
async def lifespan_connections() -> AsyncIterator[None]:
    """Open the PostgreSQL pool while anything (the app, a command, a test session) needs it;
    close it, or SQLite's handles, when the last user leaves. Nesting is allowed."""
    global _open_users
    db = engine()
    if _open_users == 0 and isinstance(db, PostgresEngine):
        await db.start_connection_pool(min_size=2, max_size=20, reset=_keep_session)
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


def postgres_sql(template: str) -> str:
    """A '{}' template as PostgreSQL's numbered placeholders (compiled once)."""
    return _placeholders(template, postgres=True)


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
        # The writer holds the file lock for its whole batch: no busy wait can happen here.
        return current.connection.raw.execute(sql, args).fetchall()
    return await db._run_in_new_connection(sql, list(args))


async def fetch_chunks(
    template: str, *args: Any, size: int = 200_000
) -> AsyncIterator[list[Sequence[Any]]]:
    """Like fetch(), outside transactions, for reading many rows into DataFrames: rows come
    as tuples of the values as stored (on SQLite timestamps stay ISO text; Piccolo's
    per-value converters took two thirds of the time), `size` at a time."""
    db = engine()
    if isinstance(db, PostgresEngine):
        async with db.pool.acquire() as connection, connection.transaction():
            cursor = await connection.cursor(_placeholders(template, True), *args)
            while rows := await cursor.fetch(size):
                yield rows  # asyncpg Records: sequences, like sqlite3's tuples
        return
    cursor = db.bulk_reader.execute(_placeholders(template, postgres=False), args)
    try:
        while rows := cursor.fetchmany(size):
            yield rows
            await asyncio.sleep(0)  # let requests in between chunks
    finally:
        cursor.close()


async def execute_many(template: str, rows: list[tuple]) -> None:
    """One statement with '{}' placeholders for many rows, inside the current transaction:
    the driver's executemany, for bulk imports."""
    db = engine()
    current = db.current_transaction.get()
    assert current is not None, "execute_many runs inside a transaction"
    if isinstance(db, PostgresEngine):
        await current.connection.executemany(_placeholders(template, postgres=True), rows)
    else:
        # In a worker thread, so that requests keep being served during a big import. Safe: no
        # one else touches the writer while this transaction holds the write queue.
        await asyncio.to_thread(
            current.connection.raw.executemany, _placeholders(template, postgres=False), rows
        )


async def insert_all(table: type[Table], rows: list[dict[str, Any]]) -> None:
    """Insert many rows (dicts by column name; a column left out takes its default) inside the
    current transaction with insert_records()."""
    if not rows:
        return
    defaults = {
        c._meta.name: c.get_default_value() for c in table._meta.columns if not c._meta.primary_key
    }
    records = [tuple(row.get(name, default) for name, default in defaults.items()) for row in rows]
    await insert_records(table, list(defaults), records)


async def insert_records(table: type[Table], columns: list[str], records: list[tuple]) -> None:
    """Insert rows given as tuples of the columns' values inside the current transaction, as
    one bulk operation of the driver: COPY on PostgreSQL, executemany on SQLite. Neither has a
    parameter limit (a multi-row INSERT does: asyncpg refuses more than 32,767 parameters in
    one query, and a month-end writes tens of thousands of values), and neither compiles a
    query per row. The columns not named take the database's defaults."""
    names = [table._meta.get_column_by_name(c)._meta.db_column_name for c in columns]
    current = engine().current_transaction.get()
    assert current is not None, "insert_records runs inside a transaction"
    if is_postgres():
        await current.connection.copy_records_to_table(
            table._meta.tablename, records=records, columns=names
        )
        return
    quoted = ", ".join(f'"{name}"' for name in names)
    values = ", ".join(["{}"] * len(names))
    await execute_many(
        f'INSERT INTO "{table._meta.tablename}" ({quoted}) VALUES ({values})', records
    )


async def copy_csv(table: str, columns: list[str], data: bytes) -> bool:
    """PostgreSQL: COPY rows given as CSV (no header; unquoted empty is NULL) into a table
    inside the current transaction, in a savepoint; False (and nothing written) when a row
    breaks a unique index. The fastest way in: the server parses the text."""
    current = engine().current_transaction.get()
    assert isinstance(engine(), PostgresEngine) and current is not None
    connection = current.connection
    try:
        async with connection.transaction():  # a savepoint inside the open transaction
            await connection.copy_to_table(
                table, source=io.BytesIO(data), columns=columns, format="csv"
            )
    except Exception as error:
        if is_unique_violation(error):
            return False
        raise
    return True


def two_places(value: Any) -> Decimal | None:
    """A 2-decimal NUMERIC column as read back: PostgreSQL gives a Decimal, SQLite the REAL it
    keeps (a float, e.g. 60.0): both become the 2-decimal Decimal that was stored."""
    return None if value is None else Decimal(str(value)).quantize(_TWO, rounding=ROUND_HALF_UP)


_TWO = Decimal("0.01")


def icontains(column, text: str):
    """Case-insensitive substring match: ILIKE on PostgreSQL; SQLite's LIKE already ignores
    ASCII case (and Piccolo warns when asked for ILIKE there)."""
    pattern = f"%{text}%"
    return column.like(pattern) if isinstance(engine(), SQLiteEngine) else column.ilike(pattern)
