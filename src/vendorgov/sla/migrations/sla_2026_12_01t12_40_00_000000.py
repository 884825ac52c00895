"""A clause is measured once per month, pooled over the versions that governed its events
(domain rules §6): the share of its events each version had is gone."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-01T12:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "pooled_clauses"


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="sla", description=DESCRIPTION)

    async def drop_share():
        await RawTable.raw("ALTER TABLE sla_clause_result DROP COLUMN share")

    manager.add_raw(drop_share)
    return manager
