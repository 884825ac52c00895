"""One pool entry per category and account, one first draw per tender and one replacement per
member who left, even when the same request arrives twice at once."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-02T10:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique_pool_and_draws"


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tenders", description=DESCRIPTION)

    async def create_indexes():
        await RawTable.raw(
            "CREATE UNIQUE INDEX expert_pool_category_account "
            "ON expert_pool_entry (category, evaluator)"
        )
        await RawTable.raw(
            "CREATE UNIQUE INDEX panel_draw_first ON panel_draw (tender) WHERE replaces IS NULL"
        )
        await RawTable.raw(
            "CREATE UNIQUE INDEX panel_draw_replaces ON panel_draw (replaces) "
            "WHERE replaces IS NOT NULL"
        )

    manager.add_raw(create_indexes)
    return manager
