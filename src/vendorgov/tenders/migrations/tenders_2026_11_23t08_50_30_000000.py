"""One score per evaluator, bid and criterion, even if a form is sent twice at once."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-23T08:50:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique_scores"


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tenders", description=DESCRIPTION)

    async def create_index():
        await RawTable.raw(
            "CREATE UNIQUE INDEX score_member_bid_criterion ON score (member, bid, criterion)"
        )

    manager.add_raw(create_index)
    return manager
