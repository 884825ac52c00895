"""Indexes for the filters the lists gained with paging (issue 15): findings and notices by
severity across every contract.

Piccolo does not index foreign keys; these serve the lists' filters and orders.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-01T15:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "filter_indexes"

STATEMENTS = (
    "CREATE INDEX IF NOT EXISTS finding_severity_found_at ON finding (severity, found_at)",
    "CREATE INDEX IF NOT EXISTS rectification_notice_severity_deadline "
    "ON rectification_notice (severity, deadline)",
)


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="audits", description=DESCRIPTION)

    async def create_indexes():
        for statement in STATEMENTS:
            await RawTable.raw(statement)

    manager.add_raw(create_indexes)
    return manager
