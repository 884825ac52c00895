"""The hash chain: how an entry's digest is computed and how a sequence is verified."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec

GENESIS = "0" * 64


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_instant(value)
    if isinstance(value, (date, Decimal, UUID)):
        return str(value)
    if hasattr(value, "value"):  # enums
        return value.value
    raise TypeError(f"cannot put {type(value).__name__} in the audit trail")


# Sorted keys, no spaces, UTF-8 as is: the same data always gives the same text. msgspec, as it
# takes a tenth of the json module's time on the path of every change.
_CANONICAL = msgspec.json.Encoder(enc_hook=_plain, order="sorted")


def canonical_json(data: Mapping[str, Any] | None) -> str | None:
    """The stored text of a before/after snapshot; the hash covers this text as stored."""
    if data is None:
        return None
    return _CANONICAL.encode(data).decode()


def format_instant(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def content_digest(
    *,
    at: datetime,
    actor_id: int | None,
    actor: str,
    entity: str,
    action: str,
    before: str | None,
    after: str | None,
) -> str:
    """SHA-256 of what an entry says, apart from which entity it is about: a new row's id is
    known only in the statement that inserts it, where link() completes the hash."""
    content = _CANONICAL.encode(
        [format_instant(at), actor_id, actor, entity, action, before, after]
    )
    return hashlib.sha256(content).hexdigest()


def link(prev_hash: str, entity_id: str, digest: str) -> str:
    """An entry's hash: its entity id and content digest chained to the previous hash. Simple
    enough to compute in SQL too (audit_append() on PostgreSQL)."""
    return hashlib.sha256(f"{prev_hash}|{entity_id}|{digest}".encode()).hexdigest()


def entry_hash(
    *,
    at: datetime,
    actor_id: int | None,
    actor: str,
    entity: str,
    entity_id: str,
    action: str,
    before: str | None,
    after: str | None,
    prev_hash: str,
) -> str:
    digest = content_digest(
        at=at,
        actor_id=actor_id,
        actor=actor,
        entity=entity,
        action=action,
        before=before,
        after=after,
    )
    return link(prev_hash, entity_id, digest)


@dataclass(frozen=True)
class Break:
    entry_id: int
    reason: str


def find_first_break(
    entries: Iterable[Mapping[str, Any]], prev_hash: str = GENESIS
) -> tuple[Break | None, str, int]:
    """Walk entries in id order; return the first broken link, the last hash and the count.

    A link breaks when an entry's content no longer gives its stored hash (the row was
    altered) or its prev_hash is not the hash of the entry before it (a row was removed or
    inserted).
    """
    checked = 0
    for entry in entries:
        checked += 1
        if entry["prev_hash"] != prev_hash:
            return (
                Break(
                    entry["id"],
                    "prev_hash does not match the entry before it "
                    "(an entry was removed or inserted)",
                ),
                prev_hash,
                checked,
            )
        expected = entry_hash(
            at=entry["at"],
            actor_id=entry["actor_id"],
            actor=entry["actor"],
            entity=entry["entity"],
            entity_id=entry["entity_id"],
            action=entry["action"],
            before=entry["before"],
            after=entry["after"],
            prev_hash=entry["prev_hash"],
        )
        if expected != entry["hash"]:
            return (
                Break(entry["id"], "content does not match its hash (the entry was altered)"),
                prev_hash,
                checked,
            )
        prev_hash = entry["hash"]
    return None, prev_hash, checked
