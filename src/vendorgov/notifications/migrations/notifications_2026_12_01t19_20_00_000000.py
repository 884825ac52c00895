"""One active robot per webhook address: the same robot added twice (two administrators, or a
double click) would post every message to its group twice. Earlier duplicates are switched
off, keeping the first."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-01T19:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "one_robot_an_address"


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="notifications", description=DESCRIPTION)

    async def create_index():
        await RawTable.raw(
            "UPDATE group_robot SET active = FALSE WHERE active AND id NOT IN "
            "(SELECT MIN(id) FROM group_robot WHERE active GROUP BY url)"
        )
        await RawTable.raw(
            "CREATE UNIQUE INDEX group_robot_active_url ON group_robot (url) WHERE active"
        )

    manager.add_raw(create_index)
    return manager
