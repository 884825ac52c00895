"""Indexes for lists at hospital-group size (issue 15). Foreign keys of a vendor's categories,
contacts and qualifications; expiring qualifications.

Piccolo does not index foreign keys; these serve the joins and the lists' filters and orders.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-01T13:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "list_indexes"

STATEMENTS = (
    "CREATE INDEX IF NOT EXISTS vendor_category_vendor ON vendor_category (vendor)",
    "CREATE INDEX IF NOT EXISTS vendor_category_category ON vendor_category (category)",
    "CREATE INDEX IF NOT EXISTS contact_vendor ON contact (vendor)",
    "CREATE INDEX IF NOT EXISTS qualification_vendor ON qualification (vendor)",
    "CREATE INDEX IF NOT EXISTS qualification_expires_on ON qualification (expires_on)",
)


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="vendors", description=DESCRIPTION)

    async def create_indexes():
        for statement in STATEMENTS:
            await RawTable.raw(statement)

    manager.add_raw(create_indexes)
    return manager
