"""Small and micro enterprise declarations (§3a): size, evidence, who declared and when."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Text, Timestamptz, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-02T11:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "sme_declaration"


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
    manager = MigrationManager(migration_id=ID, app_name="vendors", description=DESCRIPTION)
    columns = [
        ("sme_size", Varchar, _params(length=8, default="")),
        ("sme_evidence", Text, _params(default="")),
        ("sme_declared_at", Timestamptz, _params(null=True)),
        ("sme_declared_by", Varchar, _params(length=150, default="")),
    ]
    for name, column_class, params in columns:
        manager.add_column(
            table_class_name="Vendor",
            tablename="vendor",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
