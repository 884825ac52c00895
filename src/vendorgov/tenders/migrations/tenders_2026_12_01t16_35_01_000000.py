"""One invitation per tender and vendor, even if the officer's form is sent twice at once."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-01T16:35:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique_invitations"


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tenders", description=DESCRIPTION)

    async def create_index():
        await RawTable.raw(
            "CREATE UNIQUE INDEX invitation_tender_vendor ON invitation (tender, vendor)"
        )

    manager.add_raw(create_index)
    return manager
