"""The panel's roles and dissents, the experts' pools per category and the random draws (§3)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import (
    Boolean,
    ForeignKey,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-02T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "expert_pool_and_draws"


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


def _add(manager, class_name, tablename, columns):
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


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tenders", description=DESCRIPTION)
    _add(
        manager,
        "PanelMember",
        "panel_member",
        [
            ("role", Varchar, _params(length=16, default="expert")),
            ("dissent", Text, _params(default="")),
        ],
    )
    manager.add_table(
        class_name="ExpertPoolEntry", tablename="expert_pool_entry", schema=None, columns=None
    )
    _add(
        manager,
        "ExpertPoolEntry",
        "expert_pool_entry",
        [
            ("category", Varchar, _params(length=30, index=True)),
            ("evaluator", Integer, _params(default=0)),
            ("active", Boolean, _params(default=True)),
            ("added_by", Varchar, _params(length=150, default="")),
            ("added_at", Timestamptz, _params()),
            ("changed_at", Timestamptz, _params()),
        ],
    )
    manager.add_table(class_name="PanelDraw", tablename="panel_draw", schema=None, columns=None)
    _add(
        manager,
        "PanelDraw",
        "panel_draw",
        [
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
            ("seed", Varchar, _params(length=64, default="")),
            ("pool", Text, _params(default="[]")),
            ("excluded", Text, _params(default="[]")),
            ("drawn", Text, _params(default="[]")),
            ("replaces", Integer, _params(null=True)),
            ("reason", Text, _params(default="")),
            ("drawn_by", Varchar, _params(length=150, default="")),
            ("drawn_at", Timestamptz, _params()),
        ],
    )
    return manager
