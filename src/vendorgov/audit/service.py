"""Recording and reading the audit trail."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any, Protocol

from vendorgov import db, paging
from vendorgov.audit.chain import (
    CHECKPOINT_LABEL,
    GENESIS,
    TRAIL_LABEL,
    Break,
    ChainCheck,
    canonical_json,
    content_digest,
    derive_key,
    format_instant,
    hmac_pads,
    link,
    sign,
    signature_matches,
)
from vendorgov.audit.tables import AuditEntry
from vendorgov.errors import Conflict, InvalidInput
from vendorgov.paging import Page, PageRequest
from vendorgov.settings import get_settings

_VERIFY_BATCH = 5000


class Actor(Protocol):
    user_id: int | None
    username: str


@dataclass(frozen=True)
class SystemActor:
    """Changes made by commands (migrations, demo data) rather than a logged-in person."""

    user_id: int | None = None
    username: str = "system"


SYSTEM = SystemActor()


@dataclass(frozen=True)
class Prepared:
    """An entry ready to append, but for its entity id and its place in the chain."""

    at: datetime
    actor_id: int | None
    actor: str
    entity: str
    action: str
    before: str | None
    after: str | None
    digest: str

    def append_args(self, entity_id: str | None = None) -> tuple:
        """Arguments for append_sql(): with entity_id unless the SQL supplies it."""
        head = (self.at, self.actor_id, self.actor, self.entity)
        tail = (self.action, self.before, self.after, self.digest, *_keys().pads)
        return head + tail if entity_id is None else (*head, entity_id, *tail)


@dataclass(frozen=True)
class _Keys:
    trail: bytes
    pads: tuple[bytes, bytes]
    checkpoint: bytes


@lru_cache(maxsize=4)
def _derive(secret: str) -> _Keys:
    trail = derive_key(secret, TRAIL_LABEL)
    return _Keys(trail, hmac_pads(trail), derive_key(secret, CHECKPOINT_LABEL))


def _keys() -> _Keys:
    """The trail's keys, derived from the installation secret (never stored in the database;
    on PostgreSQL the trail key's HMAC pads go to audit_append() as statement parameters)."""
    return _derive(get_settings().secret_key)


def prepare(
    actor: Actor,
    entity: str,
    action: str,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> Prepared:
    values = {
        "at": datetime.now(UTC),
        "actor_id": actor.user_id,
        "actor": actor.username,
        "entity": entity,
        "action": action,
        "before": canonical_json(before),
        "after": canonical_json(after),
    }
    return Prepared(**values, digest=content_digest(**values))


def append_sql(entity_id_sql: str = "{}") -> str:
    """PostgreSQL: the call that appends a prepared entry in one statement (see the audit
    migration "append_function"); entity_id_sql may be an expression of the enclosing
    statement, e.g. the id an INSERT … RETURNING gave, so that a row and its audit entry
    are written by a single statement."""
    head, tail = "{}, " * 4, ", {}" * 6
    return f"audit_append({head}{entity_id_sql}{tail})"


def create_sql(insert_sql: str, *also: str) -> str:
    """PostgreSQL: one statement that inserts a row (`insert_sql`: an INSERT … RETURNING id),
    runs the `also` statements (INSERTs that read the new id as `r.id`, e.g. a vendor's
    categories) and appends the row's prepared entry, returning the new `id`. Autocommitted,
    hence atomic, in one round trip instead of one per statement plus BEGIN and COMMIT; the
    chain lock is then held only while the database runs it, not across round trips waiting
    on a busy event loop. Arguments: insert_sql's, each of also's, Prepared.append_args()."""
    ctes = [f"r AS ({insert_sql})", *(f"also{n} AS ({sql})" for n, sql in enumerate(also))]
    return f"WITH {', '.join(ctes)} SELECT r.id, {append_sql('r.id::varchar')} FROM r"


async def record(
    actor: Actor,
    entity: str,
    entity_id: object,
    action: str,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> None:
    """Append one entry. Call inside the transaction that makes the change, so both or
    neither are stored."""
    await record_prepared(prepare(actor, entity, action, before, after), entity_id)


async def record_prepared(entry: Prepared, entity_id: object) -> None:
    assert db.engine().transaction_exists(), "audit.record must run inside a transaction"
    if db.is_postgres():
        # One round trip: the function takes the chain lock (held to the commit), reads the
        # head and inserts.
        await db.fetch(f"SELECT {append_sql()}", *entry.append_args(str(entity_id)))
        return
    # SQLite: the head is read once per write batch, as no one else can append while the
    # batch holds the write lock.
    memo = db.transaction_memo()
    prev_hash = memo.get(_HEAD_KEY) if memo is not None else None
    if prev_hash is None:
        last = await db.fetch(_CHAIN_HEAD)
        prev_hash = last[0]["hash"] if last else GENESIS
    digest = link(prev_hash, str(entity_id), entry.digest, _keys().trail)
    await db.fetch(
        _APPEND,
        entry.at,
        entry.actor_id,
        entry.actor,
        entry.entity,
        str(entity_id),
        entry.action,
        entry.before,
        entry.after,
        prev_hash,
        digest,
    )
    if memo is not None:
        memo[_HEAD_KEY] = digest


_HEAD_KEY = "audit_entry.head"
_CHAIN_HEAD = "SELECT hash FROM audit_entry ORDER BY id DESC LIMIT 1"
_APPEND = (
    "INSERT INTO audit_entry (at, actor_id, actor, entity, entity_id, action, before, after, "
    "prev_hash, hash, keyed) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, 1)"
)


def _decoded(row: dict) -> dict:
    row["before"] = json.loads(row["before"]) if row["before"] else None
    row["after"] = json.loads(row["after"]) if row["after"] else None
    row["changes"] = changed_fields(row["before"], row["after"])
    return row


def changed_fields(before: dict | None, after: dict | None) -> list[tuple[str, Any, Any]]:
    """(field, old, new) for every field that differs, for the history panel."""
    before, after = before or {}, after or {}
    keys = sorted(set(before) | set(after))
    return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


async def history(entity: str, entity_id: object, limit: int = 200) -> list[dict]:
    """One entity's entries, newest first."""
    return await history_of({entity: [entity_id]}, limit)


async def history_of(entities: dict[str, list], limit: int = 200) -> list[dict]:
    """The entries of several entities ({entity: [ids]}, e.g. a contract and its versions),
    newest first, in one query: plain SQL, as pages that show a history are among the busiest
    (each pair is found through the (entity, entity_id, id) index)."""
    wanted = {entity: ids for entity, ids in entities.items() if ids}
    if not wanted:
        return []
    where = " OR ".join(
        f"(entity = {{}} AND entity_id IN ({', '.join(['{}'] * len(ids))}))"
        for ids in wanted.values()
    )
    args = [value for entity, ids in wanted.items() for value in (entity, *map(str, ids))]
    rows = await db.fetch(
        f"SELECT * FROM audit_entry WHERE {where} ORDER BY id DESC LIMIT {{}}", *args, limit
    )
    return [_decoded(r) for r in rows]


TRAIL_SORTS = {"at": AuditEntry.at, "actor": AuditEntry.actor, "entity": AuditEntry.entity}


async def trail_page(
    *,
    entity: str = "",
    entity_id: str = "",
    actor: str = "",
    action: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
    request: PageRequest = PageRequest(),
) -> Page:
    """The trail newest first, filtered; keyset-paged (the trail only grows), each entry with
    its before, after and the fields that changed."""
    where = paging.day_range(AuditEntry.at, date_from, date_to, get_settings().zone)
    if entity:
        where.append(AuditEntry.entity == entity)
    if entity_id:
        where.append(AuditEntry.entity_id == entity_id)
    if actor:
        where.append(AuditEntry.actor == actor)
    if action:
        where.append(AuditEntry.action == action)
    page = await paging.fetch_page(
        AuditEntry,
        AuditEntry.select(),
        where,
        request,
        TRAIL_SORTS,
        [(AuditEntry.id, False)],
        keyset=True,
    )
    page.items = [_decoded(r) for r in page.items]
    return page


@dataclass(frozen=True)
class Verification:
    checked: int
    first_break: Break | None

    @property
    def intact(self) -> bool:
        return self.first_break is None


async def verify(checkpoint: Mapping[str, Any] | None = None) -> Verification:
    """Re-hash the whole trail in id order, in batches, and report the first broken link; with
    a checkpoint (see read_checkpoint()), its entry must still be there with the same hash."""
    check = ChainCheck(
        _keys().trail,
        {checkpoint["last_id"]: checkpoint["hash"]}
        if checkpoint and checkpoint["last_id"]
        else None,
    )
    after_id = 0
    while True:
        batch = await (
            AuditEntry.select()
            .where(AuditEntry.id > after_id)
            .order_by(AuditEntry.id)
            .limit(_VERIFY_BATCH)
        )
        broken = check.feed(batch) if batch else check.finish()
        if broken or not batch:
            return Verification(check.checked, broken)
        after_id = batch[-1]["id"]


async def head() -> dict[str, Any]:
    """The newest entry's id and hash (0 and the genesis hash for an empty trail)."""
    row = (
        await AuditEntry.select(AuditEntry.id, AuditEntry.hash)
        .order_by(AuditEntry.id, ascending=False)
        .first()
    )
    return row or {"id": 0, "hash": GENESIS}


_CHECKPOINT_FIELDS = ("last_id", "hash", "at")


async def checkpoint() -> dict[str, Any]:
    """A signed statement of the trail's head now (its last entry's id and hash), to keep
    away from the database: verify(checkpoint) then finds the trail cut back before it."""
    # The head first: the verification then covers it and anything appended meanwhile.
    newest = await head()
    result = await verify()
    if not result.intact:
        broken = result.first_break
        raise Conflict(
            f"audit trail: broken at entry {broken.entry_id} ({broken.reason}); "
            "no checkpoint of a broken trail"
        )
    fields = {
        "last_id": newest["id"],
        "hash": newest["hash"],
        "at": format_instant(datetime.now(UTC)),
    }
    return {**fields, "signature": sign(_keys().checkpoint, fields)}


def read_checkpoint(text: str) -> dict[str, Any]:
    """A checkpoint file's content, refused unless this installation's key signed it."""
    try:
        data = json.loads(text)
        fields = {name: data[name] for name in _CHECKPOINT_FIELDS}
        signature = data["signature"]
        valid = isinstance(fields["last_id"], int) and isinstance(signature, str)
    except (ValueError, TypeError, KeyError):
        valid = False
    if not valid:
        raise InvalidInput.single("checkpoint", "format", "not an audit checkpoint file")
    if not signature_matches(_keys().checkpoint, fields, signature):
        raise InvalidInput.single(
            "checkpoint",
            "signature",
            "the checkpoint's signature does not match: it was altered or forged, "
            "or written by an installation with another secret key",
        )
    return fields
