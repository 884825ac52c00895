"""Indexes for the filters the lists gained with paging (issue 15): the tenders a vendor bid on and
those of an evaluator's panels.

Piccolo does not index foreign keys; these serve the lists' filters and orders.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-01T15:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "filter_indexes"

STATEMENTS = (
    "CREATE INDEX IF NOT EXISTS bid_vendor_tender ON bid (vendor, tender)",
    "CREATE INDEX IF NOT EXISTS panel_member_evaluator ON panel_member (evaluator, tender)",
)


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tenders", description=DESCRIPTION)

    async def create_indexes():
        for statement in STATEMENTS:
            await RawTable.raw(statement)

    manager.add_raw(create_indexes)
    return manager
