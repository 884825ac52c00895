"""Award in candidate order (§3, Order 87 Art. 68): the tie rule and its draw's seed, the SME
price deduction (§3a), the opening's SME and past-performance snapshots on bids, and the
passed-over candidates."""

from decimal import Decimal

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import (
    ForeignKey,
    Integer,
    Numeric,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-02T11:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "award_order_sme_past_performance"


class Tender(Table, tablename="tender", schema=None):
    id = Serial(null=False, primary_key=True, db_column_name="id")


class Bid(Table, tablename="bid", schema=None):
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


def _fk(table, index=False):
    return _params(
        references=table,
        on_delete=OnDelete.restrict,
        on_update=OnUpdate.cascade,
        target_column=None,
        index=index,
    )


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
        "Tender",
        "tender",
        [
            ("tie_rule", Varchar, _params(length=12, default="")),
            ("tie_seed", Varchar, _params(length=64, default="")),
            ("sme_percent", Numeric, _params(digits=(5, 2), default=Decimal(10))),
        ],
    )
    _add(
        manager,
        "Bid",
        "bid",
        [
            ("sme_size", Varchar, _params(length=8, default="")),
            ("past_score", Numeric, _params(digits=(6, 2), null=True)),
            ("past_months", Integer, _params(default=0)),
        ],
    )
    manager.add_table(class_name="PassedOver", tablename="passed_over", schema=None, columns=None)
    _add(
        manager,
        "PassedOver",
        "passed_over",
        [
            ("tender", ForeignKey, _fk(Tender, index=True)),
            ("bid", ForeignKey, _fk(Bid)),
            ("position", Integer, _params(default=0)),
            ("ground", Varchar, _params(length=20, default="")),
            ("evidence", Text, _params(default="")),
            ("recorded_by", Varchar, _params(length=150, default="")),
            ("recorded_at", Timestamptz, _params(default=TimestamptzNow())),
        ],
    )
    return manager
