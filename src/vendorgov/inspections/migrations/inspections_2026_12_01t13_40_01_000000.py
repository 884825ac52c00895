"""One inspection plan per contract and month: two supervisors drawing it at once get the
same plan (its own migration: Piccolo runs raw SQL before the tables of the same migration)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-01T13:40:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "one_plan_a_month"


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="inspections", description=DESCRIPTION)

    async def create_index():
        await RawTable.raw(
            "CREATE UNIQUE INDEX inspection_plan_contract_month "
            "ON inspection_plan (contract, month)"
        )

    manager.add_raw(create_index)
    return manager
