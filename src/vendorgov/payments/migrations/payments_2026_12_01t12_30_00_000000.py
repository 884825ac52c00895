"""A run can be returned for correction (who, when, why), and a revision that recomputes some
contracts carries the others' statements over, marked as such (domain rules §7)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean, Text, Timestamptz, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-01T12:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "returned_runs_carried_over_statements"


def _params(**extra):
    return {
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
        **extra,
    }


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="payments", description=DESCRIPTION)
    for name, column_class, params in (
        ("returned_by", Varchar, _params(length=150, default="")),
        ("returned_at", Timestamptz, _params(null=True, default=None)),
        ("return_reason", Text, _params(default="")),
    ):
        manager.add_column(
            table_class_name="PaymentRun",
            tablename="payment_run",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )
    manager.add_column(
        table_class_name="Statement",
        tablename="payment_statement",
        column_name="carried_over",
        db_column_name="carried_over",
        column_class_name="Boolean",
        column_class=Boolean,
        params=_params(default=False),
        schema=None,
    )
    return manager
