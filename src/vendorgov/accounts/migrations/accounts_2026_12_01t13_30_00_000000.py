"""Indexes for lists at hospital-group size (issue 15). Foreign keys of accounts and tokens.

Piccolo does not index foreign keys; these serve the joins and the lists' filters and orders.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-01T13:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "list_indexes"

STATEMENTS = (
    "CREATE INDEX IF NOT EXISTS account_vendor ON account (vendor)",
    'CREATE INDEX IF NOT EXISTS api_token_user ON api_token ("user")',
)


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)

    async def create_indexes():
        for statement in STATEMENTS:
            await RawTable.raw(statement)

    manager.add_raw(create_indexes)
    return manager
