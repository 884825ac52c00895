"""Two finance users computing the same month at once cannot both make revision N."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-23T07:59:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique_revisions"


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="payments", description=DESCRIPTION)

    async def create_index():
        await RawTable.raw(
            "CREATE UNIQUE INDEX payment_run_month_revision ON payment_run (month, revision)"
        )

    manager.add_raw(create_index)
    return manager
