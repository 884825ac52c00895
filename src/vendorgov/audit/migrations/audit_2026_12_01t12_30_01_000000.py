"""The audit trail keyed: entries are chained with HMAC-SHA-256 under a key derived from the
installation secret, which the database never stores.

PostgreSQL's audit_append() now takes the key's inner and outer HMAC blocks as parameters and
computes sha256(outer || sha256(inner || prev_hash | entity_id | digest)), the same as
vendorgov.audit.chain.link() (pgcrypto's hmac() is not needed). A trail that holds entries
already gets a keyed entry appended now, so it ends in one, which verification requires (a
trail recomputed all unkeyed would pass otherwise).
"""

from datetime import UTC, datetime

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine
from piccolo.table import Table

ID = "2026-12-01T12:30:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "keyed_chain"

# zlib.crc32(b"audit_entry"): the advisory lock key serialising appends.
CHAIN_LOCK = 745208199

FUNCTION = f"""
CREATE FUNCTION audit_append(
    p_at timestamptz, p_actor_id integer, p_actor varchar, p_entity varchar,
    p_entity_id varchar, p_action varchar, p_before text, p_after text, p_digest varchar,
    p_inner bytea, p_outer bytea
) RETURNS varchar LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    prev varchar;
    entry_hash varchar;
BEGIN
    PERFORM pg_advisory_xact_lock({CHAIN_LOCK});
    SELECT hash INTO prev FROM audit_entry ORDER BY id DESC LIMIT 1;
    prev := coalesce(prev, repeat('0', 64));
    entry_hash := encode(sha256(p_outer || sha256(
        p_inner || convert_to(prev || '|' || p_entity_id || '|' || p_digest, 'UTF8'))), 'hex');
    INSERT INTO audit_entry
        (at, actor_id, actor, entity, entity_id, action, before, after, prev_hash, hash, keyed)
    VALUES
        (p_at, p_actor_id, p_actor, p_entity, p_entity_id, p_action, p_before, p_after, prev,
         entry_hash, true);
    RETURN entry_hash;
END
$$
"""

OLD_FUNCTION = (
    "DROP FUNCTION IF EXISTS audit_append(timestamptz, integer, varchar, varchar, varchar, "
    "varchar, text, text, varchar)"
)


class RawTable(Table):
    pass


async def _append_marker() -> None:
    from vendorgov.audit.chain import TRAIL_LABEL, content_digest, derive_key, link
    from vendorgov.settings import get_settings

    head = await RawTable.raw("SELECT hash, keyed FROM audit_entry ORDER BY id DESC LIMIT 1")
    if not head or head[0]["keyed"]:
        return
    values = dict(
        at=datetime.now(UTC),
        actor_id=None,
        actor="system",
        entity="audit",
        action="key",
        before=None,
        after='{"keyed":true}',
    )
    key = derive_key(get_settings().secret_key, TRAIL_LABEL)
    prev = head[0]["hash"]
    entry_hash = link(prev, "chain", content_digest(**values), key)
    await RawTable.raw(
        "INSERT INTO audit_entry (at, actor_id, actor, entity, entity_id, action, before, "
        "after, prev_hash, hash, keyed) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})",
        values["at"],
        None,
        values["actor"],
        values["entity"],
        "chain",
        values["action"],
        None,
        values["after"],
        prev,
        entry_hash,
        True,
    )


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="audit", description=DESCRIPTION)

    async def key_the_chain():
        if isinstance(RawTable._meta.db, PostgresEngine):
            await RawTable.raw(OLD_FUNCTION)
            await RawTable.raw(FUNCTION)
        await _append_marker()

    manager.add_raw(key_the_chain)
    return manager
