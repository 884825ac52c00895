"""The inbox, group robots, the outbox and each person's channel settings. One DDL for both
engines but the key column: SQLite takes PostgreSQL's type names, and Piccolo's SQLite engine
converts values by those declared names."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine
from piccolo.table import Table

ID = "2026-12-01T16:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "notifications"


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="notifications", description=DESCRIPTION)

    async def create():
        serial = (
            "SERIAL PRIMARY KEY"
            if isinstance(engine_finder(), PostgresEngine)
            else "INTEGER PRIMARY KEY AUTOINCREMENT"
        )
        user = "INTEGER NOT NULL REFERENCES piccolo_user (id) ON DELETE CASCADE"
        for statement in (
            f'CREATE TABLE notification (id {serial}, "user" {user}, '
            "kind VARCHAR(40) NOT NULL, params JSON NOT NULL, link VARCHAR(300) NOT NULL "
            "DEFAULT '', key VARCHAR(200) NOT NULL UNIQUE, created_at TIMESTAMPTZ NOT NULL, "
            "read_at TIMESTAMPTZ)",
            # the bell: a user's unread items, newest first
            'CREATE INDEX notification_user_read ON notification ("user", read_at, id)',
            f"CREATE TABLE group_robot (id {serial}, name VARCHAR(100) NOT NULL, "
            "channel VARCHAR(10) NOT NULL, url VARCHAR(500) NOT NULL, role VARCHAR(20), "
            "vendor INTEGER, active BOOLEAN NOT NULL DEFAULT TRUE)",
            f"CREATE TABLE delivery (id {serial}, key VARCHAR(240) NOT NULL UNIQUE, "
            '"user" INTEGER, robot INTEGER, channel VARCHAR(10) NOT NULL, '
            "address VARCHAR(500) NOT NULL, kind VARCHAR(40) NOT NULL, params JSON NOT NULL, "
            "link VARCHAR(300) NOT NULL DEFAULT '', language VARCHAR(10) NOT NULL "
            "DEFAULT 'zh_CN', status VARCHAR(10) NOT NULL DEFAULT 'pending', "
            "attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at TIMESTAMPTZ NOT NULL, "
            "claimed_at TIMESTAMPTZ, sent_at TIMESTAMPTZ, last_error VARCHAR(500) NOT NULL "
            "DEFAULT '', created_at TIMESTAMPTZ NOT NULL)",
            # the worker's question: what is due (or stale) now
            "CREATE INDEX delivery_due ON delivery (status, next_attempt_at)",
            'CREATE INDEX delivery_user ON delivery ("user", status)',
            f'CREATE TABLE notification_settings (id {serial}, "user" {user} UNIQUE, '
            "email VARCHAR(200) NOT NULL DEFAULT '', phone VARCHAR(20) NOT NULL DEFAULT '', "
            "email_on BOOLEAN NOT NULL DEFAULT FALSE, sms_on BOOLEAN NOT NULL DEFAULT FALSE, "
            "quiet_start VARCHAR(5) NOT NULL DEFAULT '', quiet_end VARCHAR(5) NOT NULL "
            "DEFAULT '', digest BOOLEAN NOT NULL DEFAULT FALSE)",
        ):
            await RawTable.raw(statement)

    manager.add_raw(create)
    return manager
