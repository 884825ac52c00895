"""Indexes for the filters the lists gained with paging (issue 15): the trail by action and by date
(newest first within each).

Piccolo does not index foreign keys; these serve the lists' filters and orders.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-01T15:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "filter_indexes"

STATEMENTS = (
    "CREATE INDEX IF NOT EXISTS audit_entry_action ON audit_entry (action, id)",
    "CREATE INDEX IF NOT EXISTS audit_entry_at ON audit_entry (at)",
)


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="audit", description=DESCRIPTION)

    async def create_indexes():
        for statement in STATEMENTS:
            await RawTable.raw(statement)

    manager.add_raw(create_indexes)
    return manager
