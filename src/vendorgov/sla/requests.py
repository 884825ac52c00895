"""Service requests as service events (§9): the service desk writes a request's event as it
is filed and at every step, in the step's own transaction, so the month's measurement reads
requests and imported events alike from one table, with no import step."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from vendorgov import db
from vendorgov.sla.tables import ServiceEvent


@dataclass(frozen=True)
class RequestEvent:
    """A request's event: its number is the external id; times are the server's (UTC)."""

    contract_id: int
    external_id: str
    category: str
    priority: str
    location: str
    location_id: int
    reported_at: datetime
    responded_at: datetime | None = None
    resolved_at: datetime | None = None
    satisfaction: int | None = None
    complaint: bool = False


async def record_request(event: RequestEvent) -> int:
    """Insert or update the request's event (inside the caller's transaction, which holds
    the request's row, so two steps of one request never write it at once); its id."""
    values = {
        ServiceEvent.category: event.category,
        ServiceEvent.priority: event.priority,
        ServiceEvent.location: event.location[:200],
        ServiceEvent.location_id: event.location_id,
        ServiceEvent.reported_at: event.reported_at,
        ServiceEvent.responded_at: event.responded_at,
        ServiceEvent.resolved_at: event.resolved_at,
        ServiceEvent.satisfaction: event.satisfaction,
        ServiceEvent.complaint: event.complaint,
        ServiceEvent.updated_at: datetime.now(UTC),
    }
    found = (
        await ServiceEvent.select(ServiceEvent.id)
        .where(
            (ServiceEvent.contract == event.contract_id)
            & (ServiceEvent.external_id == event.external_id)
        )
        .first()
    )
    if found:
        await ServiceEvent.update(values).where(ServiceEvent.id == found["id"])
        return found["id"]
    row = ServiceEvent(
        contract=event.contract_id,
        external_id=event.external_id,
        **{column._meta.name: value for column, value in values.items()},
    )
    await row.save()
    return row.id


# A request's event as it is filed: plain SQL (the service centre's busiest write). The
# service desk's PostgreSQL statement embeds EVENT_FROM_REQUEST, reading the request it inserts.
_INSERT_NEW = (
    "INSERT INTO service_event (contract, external_id, category, priority, location, "
    "location_id, reported_at, responded_at, resolved_at, satisfaction, complaint, updated_at) "
    "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})"
)


def new_event_args(event: RequestEvent) -> tuple:
    return (
        event.contract_id,
        event.external_id,
        event.category,
        event.priority,
        event.location[:200],
        event.location_id,
        event.reported_at,
        event.responded_at,
        event.resolved_at,
        event.satisfaction,
        event.complaint,
        event.reported_at,
    )


async def record_new_request(event: RequestEvent) -> None:
    """The event of a request just filed (no event can exist for its new number): one
    INSERT, inside the caller's transaction."""
    await db.fetch(_INSERT_NEW, *new_event_args(event))


def event_from_request_sql(alias: str) -> str:
    """PostgreSQL: an INSERT of the event of the request row `alias` (a CTE of the enclosing
    statement that inserted it), for a request and its event written by one statement."""
    return (
        "INSERT INTO service_event (contract, external_id, category, priority, location, "
        "location_id, reported_at, complaint, updated_at) "
        f"SELECT {alias}.contract, {alias}.number, {alias}.category, {alias}.priority, "
        f"left({alias}.location_name, 200), {alias}.location_id, {alias}.reported_at, "
        f"{alias}.complaint, {alias}.reported_at FROM {alias}"
    )
