"""Surveys, their versions, ward quotas and answers (§10). The unique indexes are the rules
that must hold under concurrent submissions: one answer per device, survey and day, and one
answer per form."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine
from piccolo.table import Table

ID = "2026-12-01T17:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "surveys"


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="surveys", description=DESCRIPTION)

    async def create():
        serial = (
            "SERIAL PRIMARY KEY"
            if isinstance(engine_finder(), PostgresEngine)
            else "INTEGER PRIMARY KEY AUTOINCREMENT"
        )
        survey = "INTEGER NOT NULL REFERENCES survey (id) ON DELETE RESTRICT"
        for statement in (
            f"CREATE TABLE survey (id {serial}, title VARCHAR(200) NOT NULL, "
            "status VARCHAR(10) NOT NULL DEFAULT 'closed', created_at TIMESTAMPTZ NOT NULL, "
            "updated_at TIMESTAMPTZ NOT NULL)",
            f"CREATE TABLE survey_version (id {serial}, survey {survey}, number INTEGER NOT NULL, "
            "audience VARCHAR(10) NOT NULL, questions TEXT NOT NULL, "
            "contracts TEXT NOT NULL DEFAULT '[]', categories TEXT NOT NULL DEFAULT '[]', "
            "created_at TIMESTAMPTZ NOT NULL, created_by VARCHAR(150) NOT NULL, "
            "UNIQUE (survey, number))",
            f"CREATE TABLE survey_quota (id {serial}, survey {survey}, "
            "location_id INTEGER NOT NULL REFERENCES location (id) ON DELETE RESTRICT, "
            "monthly_quota INTEGER NOT NULL, UNIQUE (survey, location_id))",
            f"CREATE TABLE survey_answer (id {serial}, survey {survey}, "
            "version INTEGER NOT NULL REFERENCES survey_version (id) ON DELETE RESTRICT, "
            "location_id INTEGER NOT NULL, answered_on DATE NOT NULL, "
            "answered_at TIMESTAMPTZ NOT NULL, device VARCHAR(64) NOT NULL, "
            "form VARCHAR(64) NOT NULL, scores TEXT NOT NULL, score_sum INTEGER NOT NULL, "
            "answered INTEGER NOT NULL, comment TEXT NOT NULL DEFAULT '', "
            "UNIQUE (survey, device, answered_on), UNIQUE (survey, form))",
            # the month-end and the results: a month's answers
            "CREATE INDEX survey_answer_day ON survey_answer (answered_on, version)",
        ):
            await RawTable.raw(statement)

    manager.add_raw(create)
    return manager
