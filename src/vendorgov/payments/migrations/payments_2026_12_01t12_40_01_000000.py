"""A vendor waives a run's dispute window once (raw SQL runs before the tables of its own
migration are made, so the index has a migration of its own)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-01T12:40:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique_waivers"


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="payments", description=DESCRIPTION)

    async def create_index():
        await RawTable.raw(
            "CREATE UNIQUE INDEX payment_dispute_waiver_run_vendor "
            "ON payment_dispute_waiver (run_id, vendor_id)"
        )

    manager.add_raw(create_index)
    return manager
