"""What a third-party auditor may read (§1: only the contracts assigned to its audits, for the
assigned period). Reads only this domain's assignment table, so the contracts and SLA services
can ask it without importing the audits service, which depends on them."""

from __future__ import annotations

from datetime import date

from vendorgov.accounts.roles import Principal
from vendorgov.audits.tables import AuditAssignment


async def periods(auditor: Principal, contract_id: int) -> list[tuple[date, date]]:
    """The periods the auditor is assigned to the contract for (none: it may not read it)."""
    rows = await AuditAssignment.select(
        AuditAssignment.period_from, AuditAssignment.period_to
    ).where(
        (AuditAssignment.auditor_id == auditor.user_id) & (AuditAssignment.contract == contract_id)
    )
    return [(r["period_from"], r["period_to"]) for r in rows]
