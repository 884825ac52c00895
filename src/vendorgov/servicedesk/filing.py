"""Filing a request (§9): the service centre's busiest write (every ward's phone and the
hotline), so its statements are plain SQL compiled once, as inspection submit's are (issue 15).

Reads, before any write: one query for the place, the deepest route above it for the
category, the filer's desk duty, an earlier request with the same client_token, and the routed
contract with its vendor and signed versions' terms (contracts.routing_join_sql); then who
hears of it (the vendor's users, the supervisors for a complaint). Then the write: on SQLite
the request, its number, its service event, its audit entry and the notifications, in the
transaction the reads ran in (SQLite runs statements in-process: their number matters little,
Piccolo's query building did); on PostgreSQL, where each statement is a round trip, the
request, its event and its audit entry are one statement (as audit.create_sql), in a
transaction only when there is more to write (a photo, notifications). The checks and the
answers are those of the code before."""

from __future__ import annotations

import uuid
from datetime import datetime

from vendorgov import db, group_commit
from vendorgov.accounts.roles import Principal, Role
from vendorgov.audit import service as audit
from vendorgov.contracts import service as contracts
from vendorgov.contracts.rules import ClauseKind
from vendorgov.errors import Conflict, InvalidInput
from vendorgov.files import service as files
from vendorgov.files.service import Upload
from vendorgov.i18n import N_, _
from vendorgov.locations import service as locations
from vendorgov.servicedesk import alerts, rules, service
from vendorgov.servicedesk.access import FILERS, ensure
from vendorgov.servicedesk.routing import whom_to_ask
from vendorgov.servicedesk.rules import NewRequest, Status
from vendorgov.settings import get_settings
from vendorgov.sla import requests as sla_requests
from vendorgov.vendors.rules import CATEGORY_LABELS

# Ids are 32-bit columns: a larger number names no row (and must not reach the driver).
_MAX_ID = 2**31 - 1

# The place, the contract of the deepest route whose place is it or one above it (a route's
# place is above when its path is a prefix of the place's), the filer's desk duty, and the
# request an earlier identical call filed; then that contract with its vendor and signed
# versions (contracts.routing_join_sql: one row per version).
_ROUTED_COLUMNS, _ROUTED_JOINS = contracts.routing_join_sql("x.contract_id")
_RESOLVE = (
    f"SELECT x.*, {_ROUTED_COLUMNS} FROM (SELECT p.id, p.path, p.full_name, p.active, "
    "(SELECT r.contract FROM service_route r JOIN location a ON a.id = r.location_id "
    "WHERE r.category = {} AND substr(p.path, 1, length(a.path)) = a.path "
    "ORDER BY length(a.path) DESC LIMIT 1) AS contract_id, "
    "(SELECT m.duty FROM desk_member m WHERE m.user_id = {}) AS duty, "
    "(SELECT q.id FROM service_request q WHERE q.client_token = {}) AS first_id "
    f"FROM location p WHERE p.id = {{}}) x {_ROUTED_JOINS}"
)
_COLUMNS = (
    "number, client_token, contract, vendor_id, category, priority, location_id, "
    "location_path, location_name, description, photo_id, contact_name, contact_phone, "
    "channel, requested_by, requested_by_name, status, reported_at, complaint, "
    "complaint_review, updated_at, response_warn_at, response_due_at, resolution_warn_at, "
    "resolution_due_at"
)
_VALUES = ", ".join(["{}"] * (_COLUMNS.count(",") + 1))
_INSERT = f"INSERT INTO service_request ({_COLUMNS}) VALUES ({_VALUES}) RETURNING *"
_NUMBER = "UPDATE service_request SET number = {} WHERE id = {}"
# PostgreSQL: the id is taken first (the number is made of it and the audit entry names the
# number), then the request, its event and its audit entry in one statement.
_NEXT_ID = "SELECT nextval(pg_get_serial_sequence('service_request', 'id')) AS id"
_INSERT_PG = (
    f"WITH r AS (INSERT INTO service_request (id, {_COLUMNS}) VALUES ({{}}, {_VALUES}) "
    f"RETURNING *), e AS ({sla_requests.event_from_request_sql('r')}) "
    f"SELECT r.*, {audit.append_sql('r.id::varchar')} AS audit_hash FROM r"
)


def _channel(role: Role, duty: str | None) -> str:
    if role is Role.agent:
        return "hotline"
    return "kiosk" if duty == "kiosk" else "ward"


async def _resolve(actor: Principal, data: NewRequest, errors) -> list[dict] | None:
    """The _RESOLVE rows, or None with the place's error added to `errors`."""
    location_id = data.location_id
    rows = []
    if location_id is not None and 0 < location_id <= _MAX_ID:
        rows = await db.fetch(
            _RESOLVE, data.category, actor.user_id, data.client_token.strip() or None, location_id
        )
    if location_id is not None and (not rows or not rows[0]["active"]):
        try:  # the same answer as every other form's place (locations.require_place)
            await locations.require_place(location_id if location_id <= _MAX_ID else 0)
        except InvalidInput as refused:
            errors.errors += refused.errors
        return None
    return rows or None


async def _no_route(category: str, place: dict) -> InvalidInput:
    label = CATEGORY_LABELS.get(category, (category, category))[1]
    return InvalidInput.single(
        "category",
        "no_route",
        _(
            "No running contract takes %(category)s requests for %(place)s: please ask %(who)s.",
            category=label,
            place=place["full_name"],
            who=await whom_to_ask(),
        ),
    )


def _due_times(terms, category: str, priority: str, at: datetime) -> dict:
    """The warning and due times of both steps from the tightest `_within` clauses of the
    version in force on the day the request is filed (§4: measured against that version)."""
    clauses = terms.clauses if terms else []
    values = {}
    for step, kind in (
        ("response", ClauseKind.response_within),
        ("resolution", ClauseKind.resolution_within),
    ):
        times = rules.due(at, rules.tightest_minutes(clauses, kind, category, priority))
        values[f"{step}_warn_at"], values[f"{step}_due_at"] = times.warn_at, times.due_at
    return values


async def file_request(actor: Principal, data: NewRequest, photo: Upload | None = None) -> dict:
    """File a request; routed to the contract of the deepest route above its place. A repeat
    with the same client_token returns the first request. Nothing is written on any error."""
    ensure(actor, FILERS, N_("The %(role)s role does not file service requests."))
    errors = rules.check_new(data, CATEGORY_LABELS)
    service.check_photo("photo", photo, errors)
    if db.is_postgres():
        return await _file(actor, data, photo, errors)
    # SQLite: reads and writes on the writer's connection, in one transaction. The reader's
    # page cache is dropped after every commit (each request commits), so its reads came
    # back from the file; the writer's stays warm. Statements run in-process, one
    # transaction at a time: holding the write turn for the reads costs microseconds.
    async with db.transaction():
        return await _file(actor, data, photo, errors)


async def _file(actor: Principal, data: NewRequest, photo: Upload | None, errors) -> dict:
    resolved = await _resolve(actor, data, errors)
    errors.raise_if_any()
    assert resolved is not None
    found = resolved[0]
    if found["first_id"] is not None:
        first = await service._row(found["first_id"])
        if first["requested_by"] != actor.user_id:
            raise Conflict(
                _("This client_token was used by someone else's request; send a new one.")
            )
        return service.decorate(first)
    now = service._now()  # tests move it
    zone = get_settings().zone
    routed = contracts.routing_from_rows(resolved, now.astimezone(zone).date())
    if routed is None or routed[0]["effective_status"] != "active":
        raise await _no_route(data.category, found)
    target, terms = routed
    hearing = await alerts.filing(target["vendor"], data.complaint)
    token = data.client_token.strip() or None
    values = (
        token,
        target["id"],
        target["vendor"],
        data.category,
        data.priority,
        found["id"],
        found["path"],
        found["full_name"],
        data.description.strip(),
    )
    tail = (
        data.contact_name.strip(),
        data.contact_phone.strip(),
        _channel(actor.role, found["duty"]),
        actor.user_id,
        actor.display_name,
        Status.submitted.value,
        now,
        data.complaint,
        "pending" if data.complaint else "",
        now,
        *_due_times(terms, data.category, data.priority, now).values(),
    )
    after = {
        "contract": target["id"],
        "category": data.category,
        "priority": data.priority,
        "location_id": found["id"],
        "complaint": data.complaint,
    }
    try:
        if db.is_postgres():
            stored = await _store_pg(actor, values, tail, after, photo, hearing, now)
        else:
            stored = await _store_sqlite(actor, values, tail, after, photo, hearing, now)
    except Exception as error:  # the same client_token at the same moment
        if db.is_unique_violation(error):
            raise Conflict(_("This request was just filed (same client_token).")) from None
        raise
    return service.decorate(stored)


def _event(row: dict) -> sla_requests.RequestEvent:
    return sla_requests.RequestEvent(
        contract_id=row["contract"],
        external_id=row["number"],
        category=row["category"],
        priority=row["priority"],
        location=row["location_name"],
        location_id=row["location_id"],
        reported_at=row["reported_at"],
        complaint=row["complaint"],
    )


async def _store_sqlite(actor, values, tail, after, photo, hearing, now) -> dict:
    year = now.astimezone(get_settings().zone).year
    async with db.transaction():
        photo_id = await files.store(photo, actor.user_id) if photo else ""
        pending = f"SR-PENDING-{uuid.uuid4().hex[:8]}"
        row = (await db.fetch(_INSERT, pending, *values, str(photo_id), *tail))[0]
        row["number"] = rules.number(year, row["id"])
        await db.fetch(_NUMBER, row["number"], row["id"])
        await sla_requests.record_new_request(_event(row))
        entry = audit.prepare(
            actor, "service_request", "file", None, {"number": row["number"], **after}
        )
        await audit.record_prepared(entry, row["id"])
        await alerts.deliver_filing(row, hearing)
    return row


async def _store_pg(actor, values, tail, after, photo, hearing, now) -> dict:
    year = now.astimezone(get_settings().zone).year
    request_id = (await db.fetch(_NEXT_ID))[0]["id"]
    number = rules.number(year, request_id)
    entry = audit.prepare(actor, "service_request", "file", None, {"number": number, **after})

    def args(photo_id: str) -> tuple:
        return (request_id, number, *values, photo_id, *tail, *entry.append_args())

    if photo is None and hearing.empty:
        # One statement, atomic on its own; committed with the other audited writes waiting
        # at the same moment, so they share the chain lock and one WAL flush (group_commit).
        row = (await group_commit.fetch_grouped(_INSERT_PG, *args("")))[0]
    else:
        async with db.transaction():
            photo_id = await files.store(photo, actor.user_id) if photo else ""
            row = (await db.fetch(_INSERT_PG, *args(str(photo_id))))[0]
            await alerts.deliver_filing(row, hearing)
    row.pop("audit_hash", None)
    return row
