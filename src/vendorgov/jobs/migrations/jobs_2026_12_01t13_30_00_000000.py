"""The job table. One DDL for both engines: SQLite takes PostgreSQL's type names, and
Piccolo's SQLite engine converts values by those declared names."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-01T13:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "jobs"


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="jobs", description=DESCRIPTION)

    async def create():
        await RawTable.raw(
            "CREATE TABLE job ("
            "id UUID PRIMARY KEY, kind VARCHAR(40) NOT NULL, "
            "status VARCHAR(10) NOT NULL DEFAULT 'queued', stage VARCHAR(100) NOT NULL DEFAULT '', "
            "progress INTEGER NOT NULL DEFAULT 0, params JSON NOT NULL, "
            "result JSON, error JSON, attempts INTEGER NOT NULL DEFAULT 0, "
            "key VARCHAR(120) UNIQUE, created_by INTEGER, created_at TIMESTAMPTZ NOT NULL, "
            "started_at TIMESTAMPTZ, heartbeat_at TIMESTAMPTZ, finished_at TIMESTAMPTZ)"
        )
        await RawTable.raw("CREATE INDEX job_status ON job (status)")

    manager.add_raw(create)
    return manager
