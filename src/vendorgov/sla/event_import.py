"""Feeding the help desk's service events in: a CSV or XLSX upload (or JSON rows) checked row
by row and stored in one transaction, replacing events by their ticket number; large files as
a job; the import template."""

from __future__ import annotations

import asyncio
import io
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from vendorgov import db
from vendorgov.accounts.roles import Principal, Role
from vendorgov.audit import service as audit
from vendorgov.contracts import service as contracts
from vendorgov.errors import FieldError, Forbidden, InvalidInput
from vendorgov.files import service as files
from vendorgov.i18n import _
from vendorgov.jobs import service as job_state
from vendorgov.jobs import worker as jobs
from vendorgov.locations import service as locations
from vendorgov.settings import get_settings
from vendorgov.sla.intake import read_table
from vendorgov.sla.rows import COLUMNS, HEADERS, RowError, parse_frame
from vendorgov.sla.tables import ServiceEvent

log = logging.getLogger("vendorgov")

# Who may feed events in: the help-desk integration runs as one of these accounts.
IMPORTERS = (Role.admin, Role.procurement, Role.supervisor)
# At most this many row errors are listed; the count says how many there were.
MAX_LISTED_ERRORS = 200


@dataclass
class ImportReport:
    received: int
    inserted: int
    updated: int
    invalid: int
    errors: list[RowError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def ensure_importer(principal: Principal) -> None:
    if principal.role not in IMPORTERS:
        raise Forbidden(
            _(
                "Only administrators, procurement officers and supervisors (or an "
                "integration token of theirs) import service events."
            )
        )


def _row_errors(errors: list[RowError]) -> InvalidInput:
    listed = [
        FieldError(f"rows[{e.row}].{e.column}", e.rule, e.message)
        for e in errors[:MAX_LISTED_ERRORS]
    ]
    more = (
        _(" (the first %(n)s listed)", n=MAX_LISTED_ERRORS)
        if len(errors) > MAX_LISTED_ERRORS
        else ""
    )
    return InvalidInput(
        listed,
        _(
            "%(problems)s problems in %(rows)s rows%(more)s; nothing was imported: correct "
            "the rows, or import only the good ones (skip_invalid).",
            problems=len(errors),
            rows=len({e.row for e in errors}),
            more=more,
        ),
    )


_UPSERT = (
    "INSERT INTO service_event (contract, external_id, category, priority, location, "
    "reported_at, responded_at, resolved_at, satisfaction, complaint, updated_at) "
    "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}) "
    "ON CONFLICT (contract, external_id) DO UPDATE SET category = excluded.category, "
    "priority = excluded.priority, location = excluded.location, "
    "reported_at = excluded.reported_at, responded_at = excluded.responded_at, "
    "resolved_at = excluded.resolved_at, satisfaction = excluded.satisfaction, "
    "complaint = excluded.complaint, updated_at = excluded.updated_at"
)


TIME_COLUMNS = ("reported_at", "responded_at", "resolved_at")
# service_event's columns as an import writes them (COPY on PostgreSQL).
EVENT_TABLE_COLUMNS = ["contract", *COLUMNS, "updated_at"]
_COPY_TARGET = ("service_event", EVENT_TABLE_COLUMNS)


def _copy_csv(rows: pd.DataFrame, contract_id: int, now: datetime) -> bytes:
    """The rows as CSV for PostgreSQL's COPY, written by Arrow (empty text quoted, so that only
    missing values are NULL)."""
    columns = _COPY_TARGET[1]
    table = pa.table(
        {
            "contract": pa.repeat(pa.scalar(contract_id, pa.int64()), len(rows)),
            **{
                c: _utc_text(rows[c]) if c in TIME_COLUMNS else pa.array(rows[c])
                for c in columns[1:-1]
            },
            "updated_at": pa.repeat(pa.scalar(str(now)), len(rows)),
        }
    )
    out = io.BytesIO()
    pa_csv.write_csv(table, out, pa_csv.WriteOptions(include_header=False))
    return out.getvalue()


def _utc_text(times: pd.Series) -> pa.Array:
    """UTC timestamps as text, as Piccolo stores a Timestamptz on SQLite, str(datetime):
    'YYYY-MM-DD HH:MM:SS+00:00', with '.ffffff' only when there are microseconds. Also what
    PostgreSQL's COPY reads fastest (Arrow's own CSV timestamps took a second per column)."""
    instants = pa.array(times.dt.tz_localize(None).to_numpy(dtype="datetime64[us]"))
    # Arrow casts a timestamp to 'YYYY-MM-DD HH:MM:SS' text ten times faster than strftime.
    whole = pc.cast(pc.cast(instants, pa.timestamp("s"), safe=False), pa.string())
    micro = pc.add(pc.multiply(pc.millisecond(instants), 1000), pc.microsecond(instants))
    if pc.any(pc.greater(micro, 0)).as_py():
        fraction = pc.utf8_lpad(pc.cast(micro, pa.string()), 6, "0")
        whole = pc.if_else(
            pc.greater(micro, 0), pc.binary_join_element_wise(whole, fraction, "."), whole
        )
    return pc.binary_join_element_wise(whole, "+00:00", "")


def _driver_values(rows: pd.DataFrame, contract_id: int, now: datetime) -> list[tuple]:
    """Rows as the driver takes them: on SQLite, times as the text Piccolo writes for a
    Timestamptz (UTC, 'YYYY-MM-DD HH:MM:SS[.ffffff]+00:00') so range queries compare alike;
    on PostgreSQL, aware datetimes."""
    postgres = not get_settings().is_sqlite
    columns: list[Any] = []
    for name in TIME_COLUMNS:
        times = rows[name]
        if postgres:
            aware = pd.Series(times.dt.to_pydatetime(), index=times.index, dtype=object)
            columns.append(aware.where(times.notna(), None).tolist())
            continue
        columns.append(_utc_text(times).to_pylist())
    scores = rows["satisfaction"]
    satisfaction = scores.astype(object).where(scores.notna(), None).tolist()
    stamp = now if postgres else str(now)
    return list(
        zip(
            [contract_id] * len(rows),
            rows["external_id"].tolist(),
            rows["category"].tolist(),
            rows["priority"].tolist(),
            rows["location"].tolist(),
            *columns,
            satisfaction,
            rows["complaint"].tolist(),
            [stamp] * len(rows),
            strict=True,
        )
    )


async def _place_events(contract_id: int, labels: list[str]) -> None:
    """Link the contract's events to the places their location text names (a place's code
    or full name), one update per place named."""
    for label, location_id in (await locations.ids_for_labels(labels)).items():
        await ServiceEvent.update({ServiceEvent.location_id: location_id}).where(
            (ServiceEvent.contract == contract_id) & (ServiceEvent.location == label)
        )


async def import_events(
    actor: Principal,
    contract_id: int,
    table: pd.DataFrame,
    skip_invalid: bool = False,
    source: str = "api",
    done: Callable[[ImportReport], Awaitable[None]] | None = None,
) -> ImportReport:
    """All or nothing by default: any bad row and nothing is written (InvalidInput lists every
    problem by row and column). With skip_invalid the good rows go in and the report lists the
    bad ones. Re-importing an external id updates that event. `done` is awaited inside the
    writing transaction (a job marks itself done with the events, so a retry cannot import
    twice)."""
    ensure_importer(actor)
    await contracts.require_readable(actor, contract_id)
    # In a worker thread: a big file takes seconds to check, and requests keep being served.
    parsed = await asyncio.to_thread(parse_frame, table, get_settings().zone)
    if parsed.errors and not skip_invalid:
        raise _row_errors(parsed.errors)
    now = datetime.now(UTC)
    async with db.transaction():
        # New events (the usual case) are copied in on PostgreSQL; when some exist already the
        # copy is undone and every row goes through the upsert. The rows are turned into the
        # CSV or the driver's values in a thread: for 20,000 rows that held the loop 100 ms.
        copied = db.is_postgres() and await db.copy_csv(
            *_COPY_TARGET,
            await asyncio.to_thread(_copy_csv, parsed.rows, contract_id, now),
        )
        inserted = len(parsed.rows)
        if inserted and not copied:
            count = "SELECT COUNT(*) AS n FROM service_event WHERE contract = {}"
            before = (await db.fetch(count, contract_id))[0]["n"]
            values = await asyncio.to_thread(_driver_values, parsed.rows, contract_id, now)
            await db.execute_many(_UPSERT, values)
            inserted = (await db.fetch(count, contract_id))[0]["n"] - before
        await _place_events(contract_id, parsed.rows["location"].unique().tolist())
        report = ImportReport(
            received=len(table),
            inserted=inserted,
            updated=len(parsed.rows) - inserted,
            invalid=len({e.row for e in parsed.errors}),
            errors=parsed.errors,
            notes=parsed.notes,
        )
        # One entry per import, not per event: the help desk keeps the events' own history.
        await audit.record(
            actor,
            "contract",
            contract_id,
            "import_events",
            None,
            {
                "source": source,
                "received": report.received,
                "inserted": report.inserted,
                "updated": report.updated,
                "invalid": report.invalid,
            },
        )
        if done is not None:
            await done(report)
    return report


IMPORT_JOB = "sla.import"


async def start_import(
    actor: Principal, contract_id: int, filename: str, data: bytes, skip_invalid: bool
) -> uuid.UUID:
    """Check who may import into what now (4xx at once), store the file, then read, check and
    write it in a job; import_job() tells how it went, in any process."""
    ensure_importer(actor)
    await contracts.require_readable(actor, contract_id)
    if not data.strip():
        raise InvalidInput.single(
            "file", "required", _("File: it is empty; choose the file that holds the data.")
        )
    file_id = await files.store(files.Upload(filename, data), actor.user_id)
    params = {
        "contract_id": contract_id,
        "filename": filename,
        "skip_invalid": skip_invalid,
        "file_id": str(file_id),
    }
    return await jobs.start(IMPORT_JOB, params, actor)


async def run_import(job: jobs.JobRun) -> ImportReport | None:
    params = job.params
    stored = await files.content(uuid.UUID(params["file_id"]))
    job.progress(10, "reading")
    data = await asyncio.to_thread(stored.path.read_bytes)
    table = await asyncio.to_thread(read_table, params["filename"], data)
    job.progress(50, "checking and writing")
    return await import_events(
        job.actor,
        params["contract_id"],
        table,
        params["skip_invalid"],
        source="file",
        done=job.finish,
    )


async def import_job(actor: Principal, job_id: str) -> dict:
    """An import of this user's (any, for an administrator), as the status page shows it."""
    job = await job_state.get(actor, job_id, IMPORT_JOB)
    return {**job, **job["params"], "report": job["result"]}


def template_csv() -> bytes:
    """The import template: the headers in the current language and two example rows
    (hospital local times), UTF-8 with a byte-order mark so that Excel shows the Chinese."""
    text = (
        ",".join(_(HEADERS[c]) for c in COLUMNS) + "\n"
        "HD-2026-000123,repair,urgent,住院部5楼东区,2026-10-08 09:12,2026-10-08 09:20,"
        "2026-10-08 10:05,5,no\n"
        "HD-2026-000124,cleaning,routine,门诊2楼卫生间,2026-10-08T10:00:00+08:00,,,,yes\n"
    )
    return text.encode("utf-8-sig")
