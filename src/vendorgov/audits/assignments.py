"""Audits, third-party audit stage: a supervisor assigns an auditor to a contract for a period;
the auditor uploads its report and may read it back. An assignment is what lets an auditor
raise findings on that contract (service.raise_finding asks assignment_covering)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from vendorgov import db
from vendorgov.accounts import service as accounts
from vendorgov.accounts.people import display_name
from vendorgov.accounts.roles import Principal, Role, role_label
from vendorgov.audit import service as audit
from vendorgov.audits.access import SUPERVISORS
from vendorgov.audits.tables import AuditAssignment
from vendorgov.contracts import service as contracts
from vendorgov.errors import Collector, Conflict, FieldError, Forbidden, InvalidInput, NotFound
from vendorgov.files import service as files
from vendorgov.humane import joined
from vendorgov.i18n import N_, _
from vendorgov.settings import get_settings


async def assign_auditor(
    actor: Principal, auditor_id: int, contract_id: int, period_from: date, period_to: date
) -> int:
    """Give an audit agency's account one contract for a period."""
    if actor.role not in SUPERVISORS:
        raise Forbidden(
            _("The %(role)s role does not assign auditors.", role=role_label(actor.role))
        )
    auditor = await accounts.principal_for_user(auditor_id)
    errors = Collector()
    if auditor is None or auditor.role is not Role.auditor:
        errors.add(
            "auditor_id",
            "auditor",
            _("Auditor: that account is not an active third-party auditor; choose another."),
        )
    if period_to < period_from:
        errors.add("period_to", "after_from", _("Period to: the period ends before it starts."))
    errors.raise_if_any()
    contract = await contracts.require_readable(actor, contract_id)
    async with db.transaction():
        # Under the contract's lock, so the same assignment sent twice at once is made once.
        await contracts.lock_contract(contract_id)
        overlapping = await AuditAssignment.select(
            AuditAssignment.id, AuditAssignment.period_from, AuditAssignment.period_to
        ).where(
            (AuditAssignment.auditor_id == auditor_id)
            & (AuditAssignment.contract == contract_id)
            & (AuditAssignment.period_from <= period_to)
            & (AuditAssignment.period_to >= period_from)
        )
        if overlapping:
            taken = overlapping[0]
            message = _(
                "Period from: %(auditor)s is already assigned to contract %(number)s for "
                "%(first)s–%(last)s; choose a period that does not overlap it.",
                auditor=display_name(auditor.username),
                number=contract["number"],
                first=taken["period_from"],
                last=taken["period_to"],
            )
            raise Conflict(message, [FieldError("period_from", "no_overlap", message)])
        row = AuditAssignment(
            auditor_id=auditor_id,
            auditor=auditor.username,
            contract=contract_id,
            period_from=period_from,
            period_to=period_to,
            assigned_by=actor.username,
            assigned_at=datetime.now(UTC),
        )
        await row.save()
        await audit.record(
            actor,
            "audit_assignment",
            row.id,
            "create",
            None,
            {
                "auditor": auditor.username,
                "contract": contract["number"],
                "period_from": period_from,
                "period_to": period_to,
            },
        )
    return row.id


async def _own_assignment(actor: Principal, assignment_id: int) -> dict:
    row = await AuditAssignment.select().where(AuditAssignment.id == assignment_id).first()
    if row is None or (actor.role is Role.auditor and row["auditor_id"] != actor.user_id):
        raise NotFound(N_("audit assignment"), assignment_id)
    return row


async def report(actor: Principal, assignment_id: int) -> files.StoredContent:
    """The agency's report of an assignment: to the agency that uploaded it and supervisors."""
    if actor.role not in (*SUPERVISORS, Role.auditor):
        raise Forbidden(
            _("The %(role)s role has no access to audit reports.", role=role_label(actor.role))
        )
    row = await _own_assignment(actor, assignment_id)
    if row["report_file"] is None:
        raise NotFound(N_("audit report of assignment"), assignment_id)
    return await files.content(row["report_file"])


async def assignment_covering(actor: Principal, contract_id: int, at: datetime) -> dict:
    day = at.astimezone(get_settings().zone).date()
    rows = await AuditAssignment.select().where(
        (AuditAssignment.auditor_id == actor.user_id) & (AuditAssignment.contract == contract_id)
    )
    if not rows:
        raise NotFound(N_("contract"), contract_id)  # unassigned contracts do not exist for them
    covering = [r for r in rows if r["period_from"] <= day <= r["period_to"]]
    if not covering:
        periods = joined(f"{r['period_from']}–{r['period_to']}" for r in rows)
        raise InvalidInput.single(
            "found_at",
            "in_period",
            _(
                "Found at: %(day)s is outside your audit period (%(periods)s); give a time "
                "within it.",
                day=day,
                periods=periods,
            ),
        )
    return covering[0]


async def upload_report(actor: Principal, assignment_id: int, upload: files.Upload) -> None:
    if actor.role is not Role.auditor:
        raise Forbidden(_("Only the assigned audit agency uploads its report."))
    await _own_assignment(actor, assignment_id)
    files.check_upload("report", upload)
    async with db.transaction():
        # Locked, so that of two uploads at once the second records the first as replaced.
        await db.locked(
            AuditAssignment.select(AuditAssignment.id).where(AuditAssignment.id == assignment_id)
        ).first()
        row = await _own_assignment(actor, assignment_id)
        file_id = await files.store(upload, actor.user_id)
        await AuditAssignment.update(
            {
                AuditAssignment.report_file: file_id,
                AuditAssignment.report_uploaded_at: datetime.now(UTC),
            }
        ).where(AuditAssignment.id == assignment_id)
        await audit.record(
            actor,
            "audit_assignment",
            assignment_id,
            "upload_report",
            {"report_file": row["report_file"]},
            {"report_file": file_id, "filename": upload.filename},
        )
