"""Service requests as service events (§9): the service desk writes a request's event as it
is filed and at every step, in the step's own transaction, so the month's measurement reads
requests and imported events alike from one table, with no import step."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

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
