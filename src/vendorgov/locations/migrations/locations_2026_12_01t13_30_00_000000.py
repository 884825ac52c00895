"""The location tree (§8)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-01T13:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "location_tree"


def _params(**overrides):
    return {
        "default": None,
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
        **overrides,
    }


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="locations", description=DESCRIPTION)
    manager.add_table(class_name="Location", tablename="location", schema=None, columns=None)
    columns = [
        ("parent_id", Integer, _params(null=True, index=True)),
        ("kind", Varchar, _params(length=10, default="")),
        ("name", Varchar, _params(length=100, default="")),
        ("code", Varchar, _params(length=40, default="", unique=True)),
        ("pinyin", Varchar, _params(length=40, default="")),
        ("path", Varchar, _params(length=200, default="", index=True)),
        ("full_name", Varchar, _params(length=420, default="")),
        ("active", Boolean, _params(default=True)),
        ("updated_at", Timestamptz, _params(default=TimestamptzNow())),
    ]
    for name, column_class, params in columns:
        manager.add_column(
            table_class_name="Location",
            tablename="location",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
