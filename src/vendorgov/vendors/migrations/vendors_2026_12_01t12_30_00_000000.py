"""The payee's bank (name and account) for the accounting export (§7)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-01T12:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "payee_bank"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="vendors", description=DESCRIPTION)
    for name, length in (("bank_name", 100), ("bank_account", 30)):
        manager.add_column(
            table_class_name="Vendor",
            tablename="vendor",
            column_name=name,
            db_column_name=name,
            column_class_name="Varchar",
            column_class=Varchar,
            params={
                "length": length,
                "default": "",
                "null": False,
                "primary_key": False,
                "unique": False,
                "index": False,
                "index_method": IndexMethod.btree,
                "choices": None,
                "db_column_name": None,
                "secret": False,
            },
            schema=None,
        )
    return manager
