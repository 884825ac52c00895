"""Audits, period reads: what the month-end takes from this domain for [start, end) (findings
by severity, notices overdue at the end, failed verifications, the audit component and the
evidence of fixed penalties), and the notice deadlines falling in a window that the scheduler
turns into due and overdue alerts. Reads only; no principal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from vendorgov.audits import alerts, rules
from vendorgov.audits.rules import NoticeTimeline, Severity
from vendorgov.audits.tables import Finding, Notice, NoticeStep


async def _numbered_timelines(
    contract_ids: list[int], start: datetime
) -> dict[int, list[tuple[str, NoticeTimeline]]]:
    """The notices of the contracts that a month beginning at `start` can count (number,
    timeline) as the month-end sees them, by contract, in the order they were made: two
    queries whatever the number of contracts. A notice closed before the month began can be
    neither overdue at its end nor fail a verification in it (closing is final), so the
    years of closed notices are not read."""
    counted = Notice.closed_at.is_null() | (Notice.closed_at >= start)
    notices = (
        await Notice.select(Notice.id, Notice.contract, Notice.number, Notice.closed_at)
        .where(Notice.contract.is_in(contract_ids) & counted)
        .order_by(Notice.id)
    )
    if not notices:
        return {}
    steps = (
        await NoticeStep.select(
            NoticeStep.notice, NoticeStep.at, NoticeStep.action, NoticeStep.deadline
        )
        .where(
            NoticeStep.notice.contract.is_in(contract_ids)
            & (NoticeStep.notice.closed_at.is_null() | (NoticeStep.notice.closed_at >= start))
        )
        .order_by(NoticeStep.id)
    )
    by_notice: dict[int, list[dict]] = {}
    for step in steps:
        by_notice.setdefault(step["notice"], []).append(step)
    result: dict[int, list[tuple[str, NoticeTimeline]]] = {}
    for notice in notices:
        own = by_notice.get(notice["id"], [])
        timeline = NoticeTimeline(
            deadlines=[(s["at"], s["deadline"]) for s in own if s["deadline"] is not None],
            failed_verifications=[s["at"] for s in own if s["action"] == "verify_failed"],
            closed_at=notice["closed_at"],
        )
        result.setdefault(notice["contract"], []).append((notice["number"], timeline))
    return result


@dataclass
class AuditInputs:
    findings: dict[Severity, int]
    overdue_notices: int
    failed_verifications: int
    component: Decimal
    # What each fixed-penalty trigger of §7 rests on: findings by severity (any source),
    # complaints, notices overdue at the end, failed verifications.
    penalty_evidence: dict[str, list[str]]


async def audit_inputs(contract_id: int, start: datetime, end: datetime) -> AuditInputs:
    """The audit-and-rectification component of [start, end) (§6): findings from third-party
    audits and complaints in the month, notices overdue at its end (again at every later
    month-end while they stand), verifications failed in the month; and the evidence of the
    month's fixed penalties."""
    return (await audit_inputs_of([contract_id], start, end))[contract_id]


async def audit_inputs_of(
    contract_ids: list[int], start: datetime, end: datetime
) -> dict[int, AuditInputs]:
    """audit_inputs() of several contracts, by contract id, in three queries (the month-end
    asks for every contract at once)."""
    if not contract_ids:
        return {}
    rows = (
        await Finding.select(Finding.id, Finding.contract, Finding.severity, Finding.source)
        .where(
            Finding.contract.is_in(contract_ids)
            & (Finding.found_at >= start)
            & (Finding.found_at < end)
        )
        .order_by(Finding.id)
    )
    findings: dict[int, list[dict]] = {}
    for r in rows:
        findings.setdefault(r["contract"], []).append(r)
    timelines = await _numbered_timelines(contract_ids, start)
    return {
        cid: _audit_inputs(findings.get(cid, []), timelines.get(cid, []), start, end)
        for cid in contract_ids
    }


def _audit_inputs(
    rows: list[dict], timelines: list[tuple[str, NoticeTimeline]], start: datetime, end: datetime
) -> AuditInputs:
    counts: dict[Severity, int] = {}
    evidence: dict[str, list[str]] = {}
    for r in rows:
        evidence.setdefault(f"{r['severity']}_finding", []).append(f"finding {r['id']}")
        if r["source"] in ("audit", "complaint"):
            severity = Severity(r["severity"])
            counts[severity] = counts.get(severity, 0) + 1
        if r["source"] == "complaint":
            evidence.setdefault("complaint", []).append(f"finding {r['id']}")
    overdue_count = failed = 0
    for number, line in timelines:
        if rules.overdue_at(line, end):
            overdue_count += 1
            evidence.setdefault("overdue_notice", []).append(f"notice {number}")
        for _ in range(rules.failed_in(line, start, end)):
            failed += 1
            evidence.setdefault("failed_verification", []).append(f"notice {number}")
    return AuditInputs(
        counts,
        overdue_count,
        failed,
        rules.audit_component(counts, overdue_count, failed),
        evidence,
    )


async def evidence_records(
    finding_ids: list[int], notice_numbers: list[str]
) -> tuple[dict[int, dict], dict[str, dict]]:
    """The findings and notices a statement's penalties rest on (what, when, severity, where
    they came from), by id and by number, for the month-end; the caller has checked that the
    reader may see the statement."""
    findings = (
        await Finding.select(
            Finding.id,
            Finding.contract,
            Finding.source,
            Finding.inspection_id,
            Finding.category,
            Finding.description,
            Finding.severity,
            Finding.found_at,
            Finding.notice_id,
        ).where(Finding.id.is_in(finding_ids))
        if finding_ids
        else []
    )
    notices = (
        await Notice.select(
            Notice.id, Notice.number, Notice.issued_at, Notice.deadline, Notice.severity
        ).where(Notice.number.is_in(notice_numbers))
        if notice_numbers
        else []
    )
    return {f["id"]: f for f in findings}, {n["number"]: n for n in notices}


async def _deadlines_between(start: datetime, end: datetime) -> list[dict]:
    rows = await Notice.select(
        Notice.id,
        Notice.number,
        Notice.contract,
        Notice.deadline,
        Notice.contract.number.as_alias("contract_number"),
        Notice.contract.vendor.id.as_alias("vendor_id"),
    ).where(
        (Notice.deadline >= start)
        & (Notice.deadline < end)
        & Notice.status.is_in([s.value for s in rules.RUNNING])
    )
    return rows


async def became_overdue(start: datetime, end: datetime) -> list[dict]:
    """Running notices whose deadline passed in [start, end): the scheduler's hourly list,
    so each notice is reported (and its vendor and the supervisors told) overdue once."""
    rows = await _deadlines_between(start, end)
    for row in rows:
        await alerts.on_notice(row, "overdue")
    return [{"notice": r["id"], "contract": r["contract"], "deadline": r["deadline"]} for r in rows]


async def becoming_due(start: datetime, end: datetime) -> list[dict]:
    """Running notices whose deadline came within the reminder window (rules.DUE_SOON) in
    [start, end): the scheduler's hourly reminders; the vendor is told once that a notice is
    due within 24 hours."""
    rows = await _deadlines_between(start + rules.DUE_SOON, end + rules.DUE_SOON)
    for row in rows:
        await alerts.on_notice(row, "due_soon")
    return [{"notice": r["id"], "contract": r["contract"], "deadline": r["deadline"]} for r in rows]
