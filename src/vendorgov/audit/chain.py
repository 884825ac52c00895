"""The hash chain: how an entry's digest is computed and how a sequence is verified."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

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


def derive_key(secret: str, label: bytes) -> bytes:
    """A 32-byte key for one purpose, derived from the installation's secret key (which lives
    outside the database): a different label gives an unrelated key."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(secret.encode())


TRAIL_LABEL = b"vendorgov audit trail"
CHECKPOINT_LABEL = b"vendorgov audit checkpoint"


def link(prev_hash: str, entity_id: str, digest: str, key: bytes | None) -> str:
    """An entry's hash: its entity id and content digest chained to the previous hash, as an
    HMAC-SHA-256 under the trail key, so that whoever can write the database but lacks the key
    cannot recompute the chain after editing an entry. key=None: the plain SHA-256 of the
    entries written before the chain was keyed. Simple enough to compute in SQL too
    (audit_append() on PostgreSQL, given hmac_pads())."""
    message = f"{prev_hash}|{entity_id}|{digest}".encode()
    if key is None:
        return hashlib.sha256(message).hexdigest()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """The inner and outer HMAC blocks of a key, so that SQL computes HMAC-SHA-256 with two
    sha256() calls (RFC 2104): sha256(outer || sha256(inner || message))."""
    block = key.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)


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
    key: bytes | None,
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
    return link(prev_hash, entity_id, digest, key)


@dataclass(frozen=True)
class Break:
    entry_id: int
    reason: str


class ChainCheck:
    """Walks the entries in id order, batch after batch, and finds the first broken link.

    A link breaks when an entry's content no longer gives its stored hash (the row was altered,
    or the chain recomputed without the key), its prev_hash is not the hash of the entry
    before it (a row was removed or inserted), or it is unkeyed after a keyed one. Unkeyed
    entries are those written before the chain was keyed: the first keyed entry's HMAC covers
    the last of them, so they cannot change either; and as the trail always ends in a keyed
    entry (the migration that keyed it appended one), rewriting it all unkeyed is found too.
    """

    def __init__(self, key: bytes, expect: Mapping[int, str] | None = None) -> None:
        self.key = key
        self.prev_hash = GENESIS
        self.checked = 0
        self.keyed = False
        self.last_id: int | None = None
        # Hashes some entries must still have (the entry a checkpoint names).
        self.expect = dict(expect or {})

    def feed(self, entries: Iterable[Mapping[str, Any]]) -> Break | None:
        for entry in entries:
            self.checked += 1
            broken = self._check(entry)
            if broken:
                return broken
            self.prev_hash, self.last_id = entry["hash"], entry["id"]
        return None

    def _check(self, entry: Mapping[str, Any]) -> Break | None:
        entry_id = entry["id"]
        if entry["prev_hash"] != self.prev_hash:
            return Break(
                entry_id,
                "prev_hash does not match the entry before it (an entry was removed or inserted)",
            )
        keyed = bool(entry["keyed"])
        if self.keyed and not keyed:
            return Break(entry_id, "unkeyed entry after keyed ones (re-chained without the key)")
        self.keyed = keyed
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
            key=self.key if keyed else None,
        )
        if not hmac.compare_digest(expected, entry["hash"]):
            return Break(
                entry_id,
                "content does not match its hash (the entry was altered, or the chain "
                "recomputed without the key)",
            )
        if entry_id in self.expect and self.expect.pop(entry_id) != entry["hash"]:
            return Break(entry_id, "differs from the checkpoint (the trail was rewritten)")
        return None

    def finish(self) -> Break | None:
        """After the last entry: the trail must end in a keyed entry and hold the entries
        that were expected."""
        if self.last_id is not None and not self.keyed:
            return Break(
                self.last_id,
                "the newest entry is unkeyed (the chain was recomputed without the key)",
            )
        if self.expect:
            missing = min(self.expect)
            return Break(
                missing,
                "missing: entries up to the checkpoint's were deleted (the trail was truncated)",
            )
        return None


def sign(key: bytes, fields: Mapping[str, Any]) -> str:
    return hmac.new(key, _CANONICAL.encode(fields), hashlib.sha256).hexdigest()


def signature_matches(key: bytes, fields: Mapping[str, Any], signature: str) -> bool:
    return hmac.compare_digest(sign(key, fields), signature)
