"""The working-day calendar (§3a): holidays and make-up working days, and the seeded years."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Date, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-01T16:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "working_day_calendar"


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


TABLES = {
    ("CalendarDay", "calendar_day"): [
        ("day", Date, _params(unique=True)),
        ("kind", Varchar, _params(length=10, default="")),
        ("name", Varchar, _params(length=100, default="")),
        ("source", Varchar, _params(length=10, default="package")),
        ("updated_by", Varchar, _params(length=150, default="")),
        ("updated_at", Timestamptz, _params(default=TimestamptzNow())),
    ],
    ("CalendarYear", "calendar_year"): [
        ("year", Integer, _params(unique=True, default=0)),
        ("seeded_at", Timestamptz, _params(default=TimestamptzNow())),
        ("package_days", Integer, _params(default=0)),
    ],
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="workdays", description=DESCRIPTION)
    for (class_name, tablename), columns in TABLES.items():
        manager.add_table(class_name=class_name, tablename=tablename, schema=None, columns=None)
        for name, column_class, params in columns:
            manager.add_column(
                table_class_name=class_name,
                tablename=tablename,
                column_name=name,
                db_column_name=name,
                column_class_name=column_class.__name__,
                column_class=column_class,
                params=params,
                schema=None,
            )
    return manager
