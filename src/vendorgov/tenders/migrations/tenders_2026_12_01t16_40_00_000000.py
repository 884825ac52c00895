"""Clarifications of a published tender (§3a): questions, answers, publication."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-01T16:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "clarifications"


class Tender(Table, tablename="tender", schema=None):
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


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tenders", description=DESCRIPTION)
    manager.add_table(
        class_name="Clarification", tablename="clarification", schema=None, columns=None
    )
    columns = [
        (
            "tender",
            ForeignKey,
            _params(
                references=Tender,
                on_delete=OnDelete.restrict,
                on_update=OnUpdate.cascade,
                target_column=None,
                index=True,
            ),
        ),
        ("question", Text, _params(default="")),
        ("asked_by_vendor", Integer, _params(null=True)),
        ("asked_at", Timestamptz, _params(null=True)),
        ("answer", Text, _params(default="")),
        ("answered_by", Varchar, _params(length=150, default="")),
        ("published_at", Timestamptz, _params(null=True)),
    ]
    for name, column_class, params in columns:
        manager.add_column(
            table_class_name="Clarification",
            tablename="clarification",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
