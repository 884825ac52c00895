"""Indexes for lists at hospital-group size (issue 15). The trail's filters: one entity's history
(entity and id together, newest first) and one user's.

Piccolo does not index foreign keys; these serve the joins and the lists' filters and orders.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-01T13:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "list_indexes"

STATEMENTS = (
    "CREATE INDEX IF NOT EXISTS audit_entry_entity_entity_id "
    "ON audit_entry (entity, entity_id, id)",
    "CREATE INDEX IF NOT EXISTS audit_entry_actor ON audit_entry (actor, id)",
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
