"""Invitations of an invited tender (§3a): who was invited, why, by whom and when."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import ForeignKey, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-01T16:35:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "invitations"


class Tender(Table, tablename="tender", schema=None):
    id = Serial(null=False, primary_key=True, db_column_name="id")


class Vendor(Table, tablename="vendor", schema=None):
    id = Serial(null=False, primary_key=True, db_column_name="id")


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


def _foreign(table, index=False):
    return _params(
        references=table,
        on_delete=OnDelete.restrict,
        on_update=OnUpdate.cascade,
        target_column=None,
        index=index,
    )


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tenders", description=DESCRIPTION)
    manager.add_table(class_name="Invitation", tablename="invitation", schema=None, columns=None)
    columns = [
        ("tender", ForeignKey, _foreign(Tender, index=True)),
        ("vendor", ForeignKey, _foreign(Vendor)),
        ("reason", Text, _params(default="")),
        ("invited_by", Varchar, _params(length=150, default="")),
        ("invited_at", Timestamptz, _params(default=TimestamptzNow())),
    ]
    for name, column_class, params in columns:
        manager.add_column(
            table_class_name="Invitation",
            tablename="invitation",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
