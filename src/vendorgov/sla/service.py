"""Service events in (CSV/XLSX/JSON, idempotent by external id), SLA month results out."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from fractions import Fraction
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from vendorgov import db, exact
from vendorgov.accounts.roles import Principal, Role, role_label
from vendorgov.audit import service as audit
from vendorgov.audits import access as audit_access
from vendorgov.audits.rules import months_of
from vendorgov.contracts import service as contracts
from vendorgov.errors import FieldError, Forbidden, InvalidInput, NotFound
from vendorgov.files import service as files
from vendorgov.i18n import N_, _
from vendorgov.jobs import service as job_state
from vendorgov.jobs import worker as jobs
from vendorgov.locations import service as locations
from vendorgov.paging import DASHBOARD_ITEMS
from vendorgov.settings import get_settings
from vendorgov.sla.intake import read_table
from vendorgov.sla.measure import (
    ClauseResult,
    Month,
    VersionClauses,
    measure_months,
    sla_component,
)
from vendorgov.sla.month_events import month_events
from vendorgov.sla.rows import COLUMNS, HEADERS, RowError, parse_frame
from vendorgov.sla.tables import ClauseResult as ClauseResultRow
from vendorgov.sla.tables import MonthMeasure, ServiceEvent, SurveyResponse

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


def _ensure_importer(principal: Principal) -> None:
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
    _ensure_importer(actor)
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
    _ensure_importer(actor)
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


@dataclass
class MonthOutcome:
    contract_id: int
    month: str
    sla_component: Fraction | None  # exact (§6)
    events: int
    results: list[ClauseResult]


async def compute_month(actor: Principal, contract_id: int, month: Month) -> MonthOutcome:
    """Measure every clause of one contract for the month and store the results."""
    await contracts.require_readable(actor, contract_id)
    return (await compute_months(actor, month, [contract_id]))[0]


async def compute_months(
    actor: Principal,
    month: Month,
    contract_ids: list[int],
    signed: dict[int, list] | None = None,
) -> list[MonthOutcome]:
    """Measure every clause of the given contracts for the month and store the results,
    replacing earlier ones, in one transaction. The events of all the contracts are read in
    one query and measured all at once (measure_months); `signed` is what
    contracts.signed_versions_of() says of them, when the caller has read it. The outcome
    depends only on the stored events, so recomputing gives the same numbers."""
    if actor.role not in (Role.admin, Role.procurement, Role.supervisor, Role.finance):
        raise Forbidden(
            _(
                "The %(role)s role does not compute SLA results; ask a supervisor or "
                "procurement officer.",
                role=role_label(actor.role),
            )
        )
    zone = get_settings().zone
    if signed is None:
        signed = await contracts.signed_versions_of(contract_ids)
    events = await month_events(contract_ids, month)
    versions = {
        contract_id: [
            VersionClauses(vid, number, effective, terms.clauses)
            for vid, number, effective, terms in signed.get(contract_id, [])
        ]
        for contract_id in contract_ids
    }
    measured = measure_months(events, versions, month, zone)
    in_month = events.loc[events["reported_at"] >= month.start_utc(zone), "contract"]
    counts = in_month.value_counts().to_dict()
    outcomes = [
        MonthOutcome(
            contract_id,
            str(month),
            sla_component(measured[contract_id]),
            int(counts.get(contract_id, 0)),
            measured[contract_id],
        )
        for contract_id in contract_ids
    ]
    await _store_outcomes(month, outcomes)
    return outcomes


async def _store_outcomes(month: Month, outcomes: list[MonthOutcome]) -> None:
    ids = [o.contract_id for o in outcomes]
    async with db.transaction():
        await ClauseResultRow.delete().where(
            ClauseResultRow.contract.is_in(ids) & (ClauseResultRow.month == str(month))
        )
        await MonthMeasure.delete().where(
            MonthMeasure.contract.is_in(ids) & (MonthMeasure.month == str(month))
        )
        rows = [
            {
                "contract": o.contract_id,
                "month": str(month),
                "version_id": r.version_id,
                "version_number": r.version_number,
                "code": r.code,
                "name": r.name,
                "kind": r.kind,
                "events": r.events,
                # Shown to 4 decimals; the month-end uses the exact values it computed.
                "attained": exact.rounded(r.attained, 4),
                "target": r.target,
                "minimum": r.minimum,
                "weight": r.weight,
                "score": exact.rounded(r.score, 4),
                "met": r.met,
                "missed_event_ids": json.dumps(r.missed_event_ids),
            }
            for o in outcomes
            for r in o.results
        ]
        await db.insert_all(ClauseResultRow, rows)
        now = datetime.now(UTC)
        await db.insert_all(
            MonthMeasure,
            [
                {
                    "contract": o.contract_id,
                    "month": str(month),
                    "sla_component": None
                    if o.sla_component is None
                    else exact.rounded(o.sla_component),
                    "events": o.events,
                    "computed_at": now,
                }
                for o in outcomes
            ],
        )


async def month_results(principal: Principal, contract_id: int, month: Month) -> dict:
    """Stored results of a month (compute_month first), for pages and the month-end run."""
    await contracts.require_readable(principal, contract_id)
    measure = (
        await MonthMeasure.select()
        .where((MonthMeasure.contract == contract_id) & (MonthMeasure.month == str(month)))
        .first()
    )
    rows = (
        await ClauseResultRow.select()
        .where((ClauseResultRow.contract == contract_id) & (ClauseResultRow.month == str(month)))
        .order_by(ClauseResultRow.code)
    )
    for row in rows:
        row["missed_event_ids"] = json.loads(row["missed_event_ids"])
    return {
        "month": str(month),
        "computed": measure is not None,
        "sla_component": measure["sla_component"] if measure else None,
        "events": measure["events"] if measure else 0,
        "clauses": rows,
    }


async def audited_months(principal: Principal, contract_id: int) -> list[str] | None:
    """The months of the contract an auditor may read the scorecard of (those its audit
    periods touch), in order; None for everyone else (no such limit)."""
    if principal.role is not Role.auditor:
        return None
    return months_of(await audit_access.periods(principal, contract_id))


async def scorecard(
    principal: Principal, contract_id: int, last: Month, count: int = 6
) -> dict[str, Any]:
    """The stored results of the `count` months ending with `last`: SLA component per month,
    each clause's attainment per month, the worst clauses, and the missed events of `last`.
    An auditor reads only the months of its audit period."""
    contract = await contracts.require_readable(principal, contract_id)
    allowed = await audited_months(principal, contract_id)
    if allowed is not None and str(last) not in allowed:
        raise InvalidInput.single(
            "month",
            "in_period",
            _(
                "Month: your audit period covers %(first)s to %(last)s; choose a month in it.",
                first=allowed[0],
                last=allowed[-1],
            ),
        )
    months = [last]
    while len(months) < count:
        months.insert(0, months[0].previous())
    labels = [str(m) for m in months if allowed is None or str(m) in allowed]
    measures = {
        r["month"]: r
        for r in await MonthMeasure.select().where(
            (MonthMeasure.contract == contract_id) & MonthMeasure.month.is_in(labels)
        )
    }
    results = (
        await ClauseResultRow.select()
        .where((ClauseResultRow.contract == contract_id) & ClauseResultRow.month.is_in(labels))
        .order_by(ClauseResultRow.code)
    )
    clauses: dict[str, dict[str, Any]] = {}
    for row in results:
        clause = clauses.setdefault(
            row["code"],
            {"code": row["code"], "name": row["name"], "kind": row["kind"], "by_month": {}},
        )
        clause["by_month"][row["month"]] = row
    for clause in clauses.values():
        scores = [r["score"] for r in clause["by_month"].values()]
        clause["mean_score"] = sum(scores) / len(scores)
    missed_ids = sorted(
        {i for r in results if r["month"] == str(last) for i in json.loads(r["missed_event_ids"])}
    )
    # The first few only: the events list pages through all of them, by missed clause.
    shown = missed_ids[:DASHBOARD_ITEMS]
    missed = (
        await db.fetch(
            "SELECT id, external_id, category, priority, location, reported_at, responded_at, "
            "resolved_at, satisfaction, complaint FROM service_event "
            "WHERE contract = {} AND id IN ("
            + ", ".join(["{}"] * len(shown))
            + ") ORDER BY reported_at",
            contract_id,
            *shown,
        )
        if shown
        else []
    )
    return {
        "contract": contract,
        "months": labels,
        "last": str(last),
        "components": [measures[m]["sla_component"] if m in measures else None for m in labels],
        "computed": [m in measures for m in labels],
        "clauses": list(clauses.values()),
        "worst": sorted(clauses.values(), key=lambda c: c["mean_score"])[:3],
        "missed": missed,
        "missed_total": len(missed_ids),
    }


async def event_detail(principal: Principal, event_id: int) -> dict[str, Any]:
    rows = await db.fetch("SELECT * FROM service_event WHERE id = {}", event_id)
    if not rows:
        raise NotFound(N_("service event"), event_id)
    event = rows[0]
    event["contract_row"] = await contracts.require_readable(principal, event["contract"])
    for column in ("responded_at", "resolved_at"):
        done = event[column]
        event[column.replace("_at", "_minutes")] = (
            round((done - event["reported_at"]).total_seconds() / 60, 1) if done else None
        )
    return event


RESPONDENT_TYPES = ("patient", "staff")


@dataclass
class SurveyInput:
    respondent_type: str
    score: int
    responded_on: str
    comment: str = ""


async def add_surveys(actor: Principal, contract_id: int, responses: list[SurveyInput]) -> int:
    """Record satisfaction survey responses (all or nothing); returns how many were stored."""
    _ensure_importer(actor)
    await contracts.require_readable(actor, contract_id)
    errors: list[FieldError] = []
    rows = []
    now = datetime.now(UTC)
    for index, response in enumerate(responses, start=1):
        prefix = f"responses[{index}]"
        if response.respondent_type not in RESPONDENT_TYPES:
            errors.append(
                FieldError(
                    f"{prefix}.respondent_type",
                    "one_of",
                    _("Respondent: use patient or staff."),
                )
            )
        if not isinstance(response.score, int) or not 1 <= response.score <= 5:
            errors.append(
                FieldError(f"{prefix}.score", "range_1_5", _("Use a whole number from 1 to 5."))
            )
        try:
            day = date.fromisoformat(str(response.responded_on))
        except ValueError:
            errors.append(
                FieldError(
                    f"{prefix}.responded_on",
                    "date",
                    _(
                        "“%(value)s” is not a date; write it as 2026-11-30.",
                        value=response.responded_on,
                    ),
                )
            )
            continue
        rows.append(
            SurveyResponse(
                contract=contract_id,
                respondent_type=response.respondent_type,
                score=response.score,
                responded_on=day,
                comment=response.comment.strip()[:2000],
                created_at=now,
            )
        )
    if not responses:
        errors.append(
            FieldError("responses", "required", _("Responses: send at least one response."))
        )
    if errors:
        raise InvalidInput(errors)
    async with db.transaction():
        await SurveyResponse.insert(*rows)
        await audit.record(
            actor, "contract", contract_id, "add_surveys", None, {"responses": len(rows)}
        )
    return len(rows)


async def satisfaction_counts(contract_ids: list[int], month: Month) -> dict[int, tuple[int, int]]:
    """The month's posted survey responses of each contract that has any: (responses, those
    scoring 4 or 5). The surveys domain pools them with its own answers (§6)."""
    if not contract_ids:
        return {}
    placeholders = ", ".join(["{}"] * len(contract_ids))
    rows = await db.fetch(
        "SELECT contract, COUNT(*) AS n, SUM(CASE WHEN score >= 4 THEN 1 ELSE 0 END) AS happy "
        f"FROM survey_response WHERE contract IN ({placeholders}) AND responded_on >= {{}} "
        "AND responded_on < {} GROUP BY contract",
        *contract_ids,
        month.first_day,
        month.next().first_day,
    )
    return {r["contract"]: (int(r["n"]), int(r["happy"] or 0)) for r in rows}


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
