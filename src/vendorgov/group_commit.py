"""PostgreSQL group commit for the hot audited writes.

Every audited change appends to the hash chain under a transaction-scoped advisory lock (the
chain must not fork: each entry links the one before it), and that lock is held until the
transaction's COMMIT has flushed the WAL. So audited transactions commit one after another,
each waiting for its own flush: on this project's machine a flush takes about 2 ms, which
capped vendor create and inspection submit at a few hundred per second whatever the number
of connections (the raw insert floor, free to share flushes, does four times that).

`fetch_grouped()` runs a self-contained statement (one that would otherwise be autocommitted:
a row with its audit entry, `audit.create_sql`) together with the others waiting at that moment,
in one transaction on one connection: the chain lock is taken once and one flush commits them
all. Every caller is answered only after that commit. A statement that fails is taken out, the
others are run again in a fresh transaction (none of their rows was returned yet), each in a
savepoint from then on, and the failed ones then run alone, so that each error (a duplicate,
say) is its own and not a neighbour's.
The chain and its verification are unchanged: entries are appended exactly as before, only
several per transaction.

SQLite has its own group commit (`db._WriteQueue`); this is for PostgreSQL only.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from vendorgov import db

# Statements per transaction: enough for 64 connections' worth in one or two flushes.
MAX_GROUP = 64


class _Group:
    def __init__(self) -> None:
        self.waiting: list[tuple[str, tuple, asyncio.Future]] = []
        self.running = False
        self.task: asyncio.Task | None = None

    async def drain(self) -> None:
        try:
            while self.waiting:
                group = [w for w in self.waiting[:MAX_GROUP] if not w[2].cancelled()]
                del self.waiting[:MAX_GROUP]
                if group:
                    await _commit(group)
        finally:
            self.running = False


_groups: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Group] = weakref.WeakKeyDictionary()


class _Failed(Exception):
    def __init__(self, index: int) -> None:
        self.index = index


async def _run(connection: Any, todo: list, alone: list) -> list[tuple[asyncio.Future, list]]:
    """Runs `todo` in one transaction. The first time, without savepoints: a failure rolls
    back (_Failed). Once one has failed, each statement in a savepoint of its own, a failing
    one set aside in `alone`: at most two passes however many fail (fifty copies of one
    offline draft arrive together)."""
    careful = bool(alone)
    answers = []
    async with connection.transaction():
        for index, (sql, args, future) in enumerate(todo):
            if not careful:
                try:
                    rows = await connection.fetch(sql, *args)
                except Exception as error:
                    raise _Failed(index) from error
            else:
                try:
                    async with connection.transaction():  # a savepoint
                        rows = await connection.fetch(sql, *args)
                except Exception:
                    alone.append((sql, args, future))
                    continue
            answers.append((future, rows))
    return answers


def _answer(future: asyncio.Future, rows: list | None = None, error: BaseException | None = None):
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result([dict(r) for r in rows or []])


async def _commit(group: list[tuple[str, tuple, asyncio.Future]]) -> None:
    engine = db.engine()
    todo = list(group)
    alone = []
    while todo:
        try:
            async with engine.pool.acquire() as connection:
                answers = await _run(connection, todo, alone)
        except _Failed as failed:  # rolled back: run the others again, that one alone after
            alone.append(todo.pop(failed.index))
            continue
        except BaseException as error:  # the commit or the connection failed: so did they all
            for _sql, _args, future in todo + alone:
                _answer(future, error=error)
            if not isinstance(error, Exception):
                raise
            return
        for future, rows in answers:
            _answer(future, rows)
        break
    for sql, args, future in alone:
        if future.cancelled():
            continue
        try:
            async with engine.pool.acquire() as connection:
                rows = await connection.fetch(sql, *args)
        except Exception as error:
            _answer(future, error=error)
        else:
            _answer(future, rows)


async def fetch_grouped(template: str, *args: Any) -> list[dict]:
    """PostgreSQL, outside a transaction: run one self-contained statement ('{}' placeholders,
    as db.fetch) in a transaction shared with the other statements waiting for one, and
    return its rows once that transaction has committed (or raise its own error)."""
    loop = asyncio.get_running_loop()
    group = _groups.get(loop)
    if group is None:
        group = _groups[loop] = _Group()
    future = loop.create_future()
    group.waiting.append((db.postgres_sql(template), args, future))
    if not group.running:
        group.running = True
        group.task = loop.create_task(group.drain())
    return await future
