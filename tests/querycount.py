"""Counting the SQL statements a request sends, whatever layer sends them (SQLite
connections' and cursors' execute, asyncpg's fetch/execute): for the tests that a page's or
an API list's number of queries does not grow with its rows."""

from __future__ import annotations

import asyncpg

from vendorgov import db


class QueryCounter:
    def __init__(self, monkeypatch):
        self.count = 0
        if db.is_postgres():
            for method in ("fetch", "execute", "fetchrow", "fetchval"):
                self._wrap(monkeypatch, asyncpg.connection.Connection, method)
        else:
            self._wrap(monkeypatch, db._Connection, "execute")
            self._wrap(monkeypatch, db._Cursor, "execute")

    def _wrap(self, monkeypatch, cls, method):
        original = getattr(cls, method)

        def counted(*args, **kwargs):
            self.count += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(cls, method, counted)


async def queries(client, monkeypatch, path: str, params: dict | None = None) -> int:
    """The statements one GET of `path` sends, once sessions and caches are warm (it must
    answer 200)."""
    await client.get(path, params=params or {})
    with monkeypatch.context() as patch:
        counter = QueryCounter(patch)
        response = await client.get(path, params=params or {})
    assert response.status_code == 200, response.text
    return counter.count
