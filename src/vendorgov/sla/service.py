"""SLA month results: each contract's clauses measured over the month's events (service events
imported by event_import.py, and service-centre requests), stored per clause; the scorecard;
posted satisfaction surveys."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from fractions import Fraction
from typing import Any

from vendorgov import db, exact
from vendorgov.accounts.roles import Principal, Role, role_label
from vendorgov.audit import service as audit
from vendorgov.audits import access as audit_access
from vendorgov.audits.rules import months_of
from vendorgov.contracts import service as contracts
from vendorgov.errors import FieldError, Forbidden, InvalidInput, NotFound
from vendorgov.i18n import N_, _
from vendorgov.paging import DASHBOARD_ITEMS
from vendorgov.settings import get_settings
from vendorgov.sla.event_import import ensure_importer
from vendorgov.sla.measure import (
    ClauseResult,
    Month,
    VersionClauses,
    measure_months,
    sla_component,
)
from vendorgov.sla.month_events import month_events
from vendorgov.sla.tables import ClauseResult as ClauseResultRow
from vendorgov.sla.tables import MonthMeasure, SurveyResponse

log = logging.getLogger("vendorgov")


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
    ensure_importer(actor)
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
