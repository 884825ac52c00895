"""Service routes, desk members and service requests (§9). One DDL for both engines but the
key column, as the notifications migration does."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine
from piccolo.table import Table

ID = "2026-12-01T17:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "service_requests"


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="servicedesk", description=DESCRIPTION)

    async def create():
        serial = (
            "SERIAL PRIMARY KEY"
            if isinstance(engine_finder(), PostgresEngine)
            else "INTEGER PRIMARY KEY AUTOINCREMENT"
        )
        contract = "INTEGER NOT NULL REFERENCES contract (id) ON DELETE RESTRICT"
        stamp = "TIMESTAMPTZ"
        for statement in (
            f"CREATE TABLE service_route (id {serial}, category VARCHAR(30) NOT NULL, "
            f"location_id INTEGER NOT NULL, contract {contract}, created_at {stamp} NOT NULL, "
            "created_by VARCHAR(150) NOT NULL DEFAULT '')",
            "CREATE UNIQUE INDEX service_route_key ON service_route (category, location_id)",
            f"CREATE TABLE desk_member (id {serial}, user_id INTEGER NOT NULL UNIQUE, "
            "duty VARCHAR(10) NOT NULL, location_id INTEGER, contract_id INTEGER, "
            f"updated_at {stamp} NOT NULL)",
            f"CREATE TABLE service_request (id {serial}, number VARCHAR(20) NOT NULL UNIQUE, "
            f"client_token VARCHAR(64) UNIQUE, contract {contract}, "
            "vendor_id INTEGER NOT NULL, category VARCHAR(30) NOT NULL, "
            "priority VARCHAR(10) NOT NULL, location_id INTEGER NOT NULL, "
            "location_path VARCHAR(200) NOT NULL, location_name VARCHAR(420) NOT NULL, "
            "description TEXT NOT NULL, photo_id VARCHAR(36) NOT NULL DEFAULT '', "
            "contact_name VARCHAR(100) NOT NULL, contact_phone VARCHAR(20) NOT NULL, "
            "channel VARCHAR(10) NOT NULL, requested_by INTEGER NOT NULL, "
            "requested_by_name VARCHAR(100) NOT NULL, status VARCHAR(12) NOT NULL, "
            "assignee_id INTEGER, assignee_name VARCHAR(100) NOT NULL DEFAULT '', "
            f"reported_at {stamp} NOT NULL, accepted_at {stamp}, responded_at {stamp}, "
            f"resolved_at {stamp}, confirmed_at {stamp}, "
            "resolution_note TEXT NOT NULL DEFAULT '', "
            "resolution_photo_id VARCHAR(36) NOT NULL DEFAULT '', rating INTEGER, "
            "rating_comment TEXT NOT NULL DEFAULT '', complaint BOOLEAN NOT NULL DEFAULT FALSE, "
            "complaint_review VARCHAR(10) NOT NULL DEFAULT '', finding_id INTEGER, "
            f"response_warn_at {stamp}, response_due_at {stamp}, resolution_warn_at {stamp}, "
            f"resolution_due_at {stamp}, response_escalation INTEGER NOT NULL DEFAULT 0, "
            "resolution_escalation INTEGER NOT NULL DEFAULT 0, "
            f"updated_at {stamp} NOT NULL)",
            # the board and the queues: open requests by status; a vendor's; a ward's subtree
            "CREATE INDEX service_request_status ON service_request (status, reported_at)",
            "CREATE INDEX service_request_vendor ON service_request (vendor_id, status)",
            "CREATE INDEX service_request_path ON service_request (location_path)",
            "CREATE INDEX service_request_phone ON service_request (contact_phone, id)",
            "CREATE INDEX service_request_by ON service_request (requested_by, id)",
            "CREATE INDEX service_request_reported ON service_request (reported_at)",
        ):
            await RawTable.raw(statement)

    manager.add_raw(create)
    return manager
