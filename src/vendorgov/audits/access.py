"""What a third-party auditor may read (§1: only the contracts assigned to its audits, for the
assigned period; the findings it recorded and the notices they are on). Reads only this
domain's tables, so the contracts and SLA services can ask it without importing the audits
service, which depends on them. Also who supervises: the roles that raise findings, issue
notices and assign auditors."""

from __future__ import annotations

from datetime import date

from piccolo.columns.combination import WhereRaw

from vendorgov.accounts.roles import Principal, Role
from vendorgov.audits.tables import AuditAssignment, Finding

SUPERVISORS = (Role.admin, Role.supervisor)


async def periods(auditor: Principal, contract_id: int) -> list[tuple[date, date]]:
    """The periods the auditor is assigned to the contract for (none: it may not read it)."""
    rows = await AuditAssignment.select(
        AuditAssignment.period_from, AuditAssignment.period_to
    ).where(
        (AuditAssignment.auditor_id == auditor.user_id) & (AuditAssignment.contract == contract_id)
    )
    return [(r["period_from"], r["period_to"]) for r in rows]


def own_findings(auditor: Principal) -> WhereRaw:
    """The condition on Finding an auditor reads through: the findings it recorded. Written
    as the ids of its findings (index finding_created_by_source_found_at), which the
    database looks up first: as plain conditions beside a status or a date, SQLite's
    statistics (an average per author, while one supervisor writes most findings) had it
    scan every open finding for an auditor who wrote none."""
    return WhereRaw(
        "finding.id IN (SELECT f.id FROM finding f WHERE f.created_by = {} AND f.source = {})",
        auditor.username,
        "audit",
    )


async def notices_of_own_findings(auditor: Principal) -> list[int]:
    """The notices the auditor's findings are on: their follow-up, which it may read."""
    rows = await Finding.select(Finding.notice_id).where(
        own_findings(auditor) & Finding.notice_id.is_not_null()
    )
    return sorted({r["notice_id"] for r in rows})
