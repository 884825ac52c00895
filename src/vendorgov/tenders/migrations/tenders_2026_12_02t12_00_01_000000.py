"""One result notice per tender and one bid-security entry per tender and vendor, even when
two requests record them at once."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-02T12:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique_result_notice_bid_security"


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tenders", description=DESCRIPTION)

    async def create_indexes():
        await RawTable.raw(
            "CREATE UNIQUE INDEX result_notice_one_per_tender ON result_notice (tender)"
        )
        await RawTable.raw(
            "CREATE UNIQUE INDEX bid_security_tender_vendor ON bid_security (tender, vendor)"
        )

    manager.add_raw(create_indexes)
    return manager
