"""Indexes for lists at hospital-group size (issue 15). A contract's survey responses.

Piccolo does not index foreign keys; these serve the joins and the lists' filters and orders.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-01T13:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "list_indexes"

STATEMENTS = (
    "CREATE INDEX IF NOT EXISTS survey_response_contract "
    "ON survey_response (contract, responded_on)",
)


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="sla", description=DESCRIPTION)

    async def create_indexes():
        for statement in STATEMENTS:
            await RawTable.raw(statement)

    manager.add_raw(create_indexes)
    return manager
