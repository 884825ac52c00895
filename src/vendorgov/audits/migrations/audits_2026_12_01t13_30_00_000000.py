"""Indexes for lists at hospital-group size (issue 15). Foreign keys and the findings and notices
lists' filters.

Piccolo does not index foreign keys; these serve the joins and the lists' filters and orders.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-01T13:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "list_indexes"

STATEMENTS = (
    "CREATE INDEX IF NOT EXISTS finding_contract_found_at ON finding (contract, found_at)",
    "CREATE INDEX IF NOT EXISTS finding_status_found_at ON finding (status, found_at)",
    "CREATE INDEX IF NOT EXISTS finding_inspection_id ON finding (inspection_id)",
    "CREATE INDEX IF NOT EXISTS rectification_notice_contract ON rectification_notice (contract)",
    "CREATE INDEX IF NOT EXISTS rectification_notice_status_deadline "
    "ON rectification_notice (status, deadline)",
    "CREATE INDEX IF NOT EXISTS notice_step_notice ON notice_step (notice)",
    "CREATE INDEX IF NOT EXISTS audit_assignment_contract ON audit_assignment (contract)",
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
