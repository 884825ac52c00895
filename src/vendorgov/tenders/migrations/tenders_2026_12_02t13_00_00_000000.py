"""A published result notice can be withdrawn (the winner would not sign): it is kept, marked
withdrawn with the reason, and the tender may publish a corrected one, so at most one notice
per tender is in force (the unique index becomes partial)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-02T13:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "result_notice_withdrawn"


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tenders", description=DESCRIPTION)

    async def withdrawable():
        await RawTable.raw(
            "ALTER TABLE result_notice ADD COLUMN withdrawn_at TIMESTAMPTZ NULL DEFAULT NULL"
        )
        await RawTable.raw(
            "ALTER TABLE result_notice ADD COLUMN withdrawn_reason TEXT NOT NULL DEFAULT ''"
        )
        await RawTable.raw("DROP INDEX result_notice_one_per_tender")
        await RawTable.raw(
            "CREATE UNIQUE INDEX result_notice_one_per_tender ON result_notice (tender) "
            "WHERE withdrawn_at IS NULL"
        )

    manager.add_raw(withdrawable)
    return manager
