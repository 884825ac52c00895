"""Vendor disputes of draft statements and waivers of the dispute window (§7)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-01T12:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "disputes"


DISPUTE = [
    ("run_id", Integer, {"default": 0, "index": True}),
    ("contract_id", Integer, {"default": 0}),
    ("vendor_id", Integer, {"default": 0, "index": True}),
    ("month", Varchar, {"length": 7, "default": "", "index": True}),
    ("line", Varchar, {"length": 40, "default": ""}),
    ("line_label", Text, {"default": ""}),
    ("reason", Text, {"default": ""}),
    ("evidence", Text, {"default": "[]"}),
    ("status", Varchar, {"length": 10, "default": "open"}),
    ("raised_by", Varchar, {"length": 150, "default": ""}),
    ("raised_at", Timestamptz, {"default": TimestamptzNow()}),
    ("ruling", Text, {"default": ""}),
    ("ruled_by", Varchar, {"length": 150, "default": ""}),
    ("ruled_at", Timestamptz, {"default": None, "null": True}),
]
WAIVER = [
    ("run_id", Integer, {"default": 0}),
    ("vendor_id", Integer, {"default": 0}),
    ("waived_by", Varchar, {"length": 150, "default": ""}),
    ("waived_at", Timestamptz, {"default": TimestamptzNow()}),
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="payments", description=DESCRIPTION)
    for class_name, tablename, columns in (
        ("Dispute", "payment_dispute", DISPUTE),
        ("DisputeWaiver", "payment_dispute_waiver", WAIVER),
    ):
        manager.add_table(class_name=class_name, tablename=tablename, schema=None, columns=None)
        for name, column_class, params in columns:
            manager.add_column(
                table_class_name=class_name,
                tablename=tablename,
                column_name=name,
                db_column_name=name,
                column_class_name=column_class.__name__,
                column_class=column_class,
                params={
                    "null": False,
                    "primary_key": False,
                    "unique": False,
                    "index": False,
                    "index_method": IndexMethod.btree,
                    "choices": None,
                    "db_column_name": None,
                    "secret": False,
                    **params,
                },
                schema=None,
            )
    return manager
