"""Indexes for the filters the lists gained with paging (issue 15): a run's statements by grade,
and the disputes waiting for a ruling.

Piccolo does not index foreign keys; these serve the lists' filters and orders.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-01T15:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "filter_indexes"

STATEMENTS = (
    "CREATE INDEX IF NOT EXISTS payment_statement_run_grade ON payment_statement (run, grade)",
    "CREATE INDEX IF NOT EXISTS payment_dispute_status ON payment_dispute (status, id)",
)


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="payments", description=DESCRIPTION)

    async def create_indexes():
        for statement in STATEMENTS:
            await RawTable.raw(statement)

    manager.add_raw(create_indexes)
    return manager
