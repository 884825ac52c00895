"""PostgreSQL: audit_append(), which appends one entry to the hash chain in a single round trip.

It takes the chain's transaction-scoped advisory lock, reads the head with a fresh snapshot
(a VOLATILE function takes one per statement under READ COMMITTED, so it sees the entry of the
transaction it waited for), and inserts the entry with its hash:
sha256(prev_hash | entity_id | content digest), the same as vendorgov.audit.chain.link().
SQLite appends from Python under its write lock and needs no function.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine
from piccolo.table import Table

ID = "2026-11-23T06:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "append_function"

# zlib.crc32(b"audit_entry"): the advisory lock key serialising appends.
CHAIN_LOCK = 745208199

FUNCTION = f"""
CREATE OR REPLACE FUNCTION audit_append(
    p_at timestamptz, p_actor_id integer, p_actor varchar, p_entity varchar,
    p_entity_id varchar, p_action varchar, p_before text, p_after text, p_digest varchar
) RETURNS varchar LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    prev varchar;
    entry_hash varchar;
BEGIN
    PERFORM pg_advisory_xact_lock({CHAIN_LOCK});
    SELECT hash INTO prev FROM audit_entry ORDER BY id DESC LIMIT 1;
    prev := coalesce(prev, repeat('0', 64));
    entry_hash := encode(
        sha256(convert_to(prev || '|' || p_entity_id || '|' || p_digest, 'UTF8')), 'hex');
    INSERT INTO audit_entry
        (at, actor_id, actor, entity, entity_id, action, before, after, prev_hash, hash)
    VALUES
        (p_at, p_actor_id, p_actor, p_entity, p_entity_id, p_action, p_before, p_after, prev,
         entry_hash);
    RETURN entry_hash;
END
$$
"""


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="audit", description=DESCRIPTION)

    async def create_function():
        if isinstance(RawTable._meta.db, PostgresEngine):
            await RawTable.raw(FUNCTION)

    manager.add_raw(create_function)
    return manager
