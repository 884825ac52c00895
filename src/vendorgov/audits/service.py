"""Audits, findings stage: a finding raised by a supervisor (or by a third-party auditor on a
contract and period it is assigned to), with its place names, and the finding counts the
inspection pages show. Notices group findings (notices.py); third-party assignments and
reports are in assignments.py; the period reads for the month-end in periods.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from vendorgov import db
from vendorgov.accounts.roles import Principal, Role, role_label
from vendorgov.audit import service as audit
from vendorgov.audits.access import SUPERVISORS
from vendorgov.audits.assignments import assignment_covering
from vendorgov.audits.rules import Severity
from vendorgov.audits.tables import Finding
from vendorgov.contracts import service as contracts
from vendorgov.errors import Collector, Forbidden, InvalidInput, NotFound
from vendorgov.i18n import _
from vendorgov.locations import service as locations

SOURCES = ("inspection", "audit", "complaint")


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class FindingInput:
    contract_id: int
    source: str
    severity: str
    category: str
    description: str
    clause_code: str = ""
    inspection_id: int | None = None
    item_key: str = ""
    found_at: datetime | None = None
    location_id: int | None = None


async def raise_finding(actor: Principal, data: FindingInput) -> int:
    """Record one finding (inside the caller's transaction, or its own)."""
    if actor.role is Role.auditor:
        # An agency records audit findings on a contract it is assigned to, within the period.
        await assignment_covering(actor, data.contract_id, data.found_at or utc_now())
        data.source = "audit"
    elif actor.role not in SUPERVISORS:
        raise Forbidden(
            _("The %(role)s role does not raise findings.", role=role_label(actor.role))
        )
    errors = Collector()
    if data.source not in SOURCES:
        errors.add("source", "one_of", _("Source: choose inspection, audit or complaint."))
    if data.severity not in {s.value for s in Severity}:
        errors.add("severity", "one_of", _("Severity: choose minor, major or critical."))
    if not data.description.strip():
        errors.add("description", "required", _("Description: say what is wrong."))
    if len(data.clause_code.strip()) > 40:
        errors.add("clause_code", "max_length", _("Clause code: at most 40 characters."))
    if data.location_id is not None:
        try:
            await locations.require_place(data.location_id)
        except InvalidInput as refused:
            errors.errors += refused.errors
    if actor.role is not Role.auditor:  # an auditor's assignment shows the contract exists
        try:
            await contracts.require_readable(actor, data.contract_id)
        except NotFound:
            errors.add(
                "contract_id",
                "exists",
                _(
                    "Contract: there is no contract %(id)s; choose one from the list.",
                    id=data.contract_id,
                ),
            )
    errors.raise_if_any()
    async with db.transaction():
        row = Finding(
            contract=data.contract_id,
            source=data.source,
            inspection_id=data.inspection_id,
            item_key=data.item_key,
            clause_code=data.clause_code.strip(),
            category=data.category.strip() or data.description.strip()[:200],
            severity=data.severity,
            description=data.description.strip(),
            found_at=(data.found_at or utc_now()).astimezone(UTC),
            status="open",
            created_by=actor.username,
            location_id=data.location_id,
        )
        await row.save()
        await audit.record(
            actor,
            "finding",
            row.id,
            "create",
            None,
            {
                "contract": data.contract_id,
                "source": data.source,
                "severity": data.severity,
                "description": data.description.strip(),
            },
        )
    return row.id


async def finding_ids_of_inspection(inspection_id: int) -> list[int]:
    rows = await Finding.select(Finding.id).where(Finding.inspection_id == inspection_id)
    return [r["id"] for r in rows]


async def with_places(rows: list[dict]) -> list[dict]:
    """Each finding with its `place`: the full name, all a vendor learns of the location tree."""
    names = await locations.names_of([r["location_id"] for r in rows])
    return [{**r, "place": names.get(r["location_id"], "")} for r in rows]


async def finding_counts(
    actor: Principal, contract_id: int, start: datetime, end: datetime, by: str = "category"
) -> list[tuple[str, int]]:
    """Findings of the contract found in [start, end), counted by category (or by place,
    `by="location"`), most first: what the Pareto chart draws."""
    await contracts.require_readable(actor, contract_id)
    rows = await Finding.select(Finding.category, Finding.location_id).where(
        (Finding.contract == contract_id) & (Finding.found_at >= start) & (Finding.found_at < end)
    )
    if by == "location":
        names = await locations.names_of([r["location_id"] for r in rows])
        labels = [names.get(r["location_id"], _("(no place)")) for r in rows]
    else:
        labels = [r["category"] for r in rows]
    counts: dict[str, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    return sorted(counts.items(), key=lambda c: (-c[1], c[0]))
