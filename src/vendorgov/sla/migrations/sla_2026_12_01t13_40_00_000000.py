"""Service events say where (§8): the place of the location tree whose code or full name the
imported location text is."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-01T13:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "event_location"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="sla", description=DESCRIPTION)
    for class_name, tablename in (("ServiceEvent", "service_event"),):
        manager.add_column(
            table_class_name=class_name,
            tablename=tablename,
            column_name="location_id",
            db_column_name="location_id",
            column_class_name="Integer",
            column_class=Integer,
            params={
                "default": None,
                "null": True,
                "primary_key": False,
                "unique": False,
                "index": True,
                "index_method": IndexMethod.btree,
                "choices": None,
                "db_column_name": None,
                "secret": False,
            },
            schema=None,
        )
    return manager
