"""Results (§3a): the tender's bid security amount, the result notice, challenges (质疑) and
the bid-security ledger."""

from decimal import Decimal

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import (
    Date,
    ForeignKey,
    Numeric,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.date import DateNow
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-02T12:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "results_challenges_bid_security"


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


def _fk(references, index=False):
    return _params(
        references=references,
        on_delete=OnDelete.restrict,
        on_update=OnUpdate.cascade,
        target_column=None,
        index=index,
    )


TABLES = {
    ("ResultNotice", "result_notice"): [
        ("tender", ForeignKey, _fk(Tender, index=True)),
        ("published_at", Timestamptz, _params(default=TimestamptzNow())),
        ("published_by", Varchar, _params(length=150, default="")),
        ("content", Text, _params(default="")),
    ],
    ("Challenge", "challenge"): [
        ("tender", ForeignKey, _fk(Tender, index=True)),
        ("vendor", ForeignKey, _fk(Vendor)),
        ("grounds", Text, _params(default="")),
        ("filed_at", Timestamptz, _params(default=TimestamptzNow())),
        ("filed_by", Varchar, _params(length=150, default="")),
        ("answer_due", Date, _params(default=DateNow())),
        ("status", Varchar, _params(length=10, default="open", index=True)),
        ("answer", Text, _params(default="")),
        ("answered_at", Timestamptz, _params(null=True)),
        ("answered_by", Varchar, _params(length=150, default="")),
    ],
    ("BidSecurity", "bid_security"): [
        ("tender", ForeignKey, _fk(Tender, index=True)),
        ("vendor", ForeignKey, _fk(Vendor)),
        ("amount", Numeric, _params(digits=(14, 2), default=Decimal(0))),
        ("received_on", Date, _params(default=DateNow())),
        ("received_ref", Varchar, _params(length=100, default="")),
        ("recorded_by", Varchar, _params(length=150, default="")),
        ("recorded_at", Timestamptz, _params(default=TimestamptzNow())),
        ("refund_due", Date, _params(null=True, index=True)),
        ("refunded_on", Date, _params(null=True)),
        ("refund_ref", Varchar, _params(length=100, default="")),
        ("refunded_by", Varchar, _params(length=150, default="")),
        ("refunded_at", Timestamptz, _params(null=True)),
    ],
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tenders", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Tender",
        tablename="tender",
        column_name="bid_security",
        db_column_name="bid_security",
        column_class_name="Numeric",
        column_class=Numeric,
        params=_params(digits=(14, 2), default=Decimal(0)),
        schema=None,
    )
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
