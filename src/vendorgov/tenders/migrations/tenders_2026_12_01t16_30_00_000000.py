"""Bids get an opaque random reference for vendors (receipts, URLs, API): the consecutive
database id would show, by its gaps, that others submitted."""

import secrets

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-01T16:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "bid_reference"


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tenders", description=DESCRIPTION)

    # One raw step: the manager runs raw steps before its column changes, and the fill needs
    # the column.
    async def add_fill_and_index():
        await RawTable.raw("ALTER TABLE bid ADD COLUMN ref VARCHAR(32) NOT NULL DEFAULT ''")
        for row in await RawTable.raw("SELECT id FROM bid WHERE ref = ''"):
            await RawTable.raw(
                "UPDATE bid SET ref = {} WHERE id = {}", secrets.token_hex(12), row["id"]
            )
        await RawTable.raw("CREATE UNIQUE INDEX bid_ref ON bid (ref)")

    manager.add_raw(add_fill_and_index)
    return manager
