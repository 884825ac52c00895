"""One passed-over record per tender and candidate, even if the officer's form is sent twice
at once (Order 87 Art. 68)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-02T11:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique_passed_over"


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tenders", description=DESCRIPTION)

    async def create_index():
        await RawTable.raw(
            "CREATE UNIQUE INDEX passed_over_tender_bid ON passed_over (tender, bid)"
        )

    manager.add_raw(create_index)
    return manager
