"""Constraints and indexes over several columns, which Piccolo columns cannot declare."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-23T04:40:13:299636"
VERSION = "1.38.0"
DESCRIPTION = "composite_indexes"

STATEMENTS = (
    # Re-importing an event id updates it (ON CONFLICT), never duplicates it.
    "CREATE UNIQUE INDEX service_event_contract_external_id "
    "ON service_event (contract, external_id)",
    "CREATE INDEX service_event_contract_reported_at ON service_event (contract, reported_at)",
    "CREATE UNIQUE INDEX sla_month_contract_month ON sla_month (contract, month)",
    "CREATE INDEX sla_clause_result_contract_month ON sla_clause_result (contract, month)",
)


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="sla", description=DESCRIPTION)

    async def create_indexes():
        for statement in STATEMENTS:
            await RawTable.raw(statement)

    manager.add_raw(create_indexes)
    return manager
