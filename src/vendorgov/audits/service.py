"""Findings and rectification notices: raised, grouped into notices with deadlines from the
contract version in force, acknowledged and answered by the vendor, verified by a supervisor."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from vendorgov import db
from vendorgov.accounts import service as accounts
from vendorgov.accounts.roles import Principal, Role
from vendorgov.audit import service as audit
from vendorgov.audits import alerts, rules
from vendorgov.audits.access import own_findings
from vendorgov.audits.rules import NoticeAction, NoticeStatus, NoticeTimeline, Severity
from vendorgov.audits.tables import AuditAssignment, Finding, Notice, NoticeStep
from vendorgov.contracts import service as contracts
from vendorgov.errors import Collector, Conflict, FieldError, Forbidden, InvalidInput, NotFound
from vendorgov.files import service as files
from vendorgov.locations import service as locations
from vendorgov.settings import get_settings

SUPERVISORS = (Role.admin, Role.supervisor)
SOURCES = ("inspection", "audit", "complaint")


def _now() -> datetime:
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
        await _assignment_covering(actor, data.contract_id, data.found_at or _now())
        data.source = "audit"
    elif actor.role not in SUPERVISORS:
        raise Forbidden(f"the {actor.role.value} role does not raise findings")
    errors = Collector()
    if data.source not in SOURCES:
        errors.add("source", "one_of", "inspection, audit or complaint")
    if data.severity not in {s.value for s in Severity}:
        errors.add("severity", "one_of", "minor, major or critical")
    if not data.description.strip():
        errors.add("description", "required", "say what is wrong")
    if len(data.clause_code.strip()) > 40:
        errors.add("clause_code", "max_length", "at most 40 characters")
    if data.location_id is not None:
        try:
            await locations.require_place(data.location_id)
        except InvalidInput as refused:
            errors.errors += refused.errors
    if actor.role is not Role.auditor:  # an auditor's assignment shows the contract exists
        try:
            await contracts.require_readable(actor, data.contract_id)
        except NotFound:
            errors.add("contract_id", "exists", f"there is no contract {data.contract_id}")
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
            found_at=(data.found_at or _now()).astimezone(UTC),
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
        labels = [names.get(r["location_id"], "(no place)") for r in rows]
    else:
        labels = [r["category"] for r in rows]
    counts: dict[str, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    return sorted(counts.items(), key=lambda c: (-c[1], c[0]))


# --- third-party audits ----------------------------------------------------------------------


async def assign_auditor(
    actor: Principal, auditor_id: int, contract_id: int, period_from: date, period_to: date
) -> int:
    """Give an audit agency's account one contract for a period."""
    if actor.role not in SUPERVISORS:
        raise Forbidden(f"the {actor.role.value} role does not assign auditors")
    auditor = await accounts.principal_for_user(auditor_id)
    errors = Collector()
    if auditor is None or auditor.role is not Role.auditor:
        errors.add("auditor_id", "auditor", "is not an active third-party auditor account")
    if period_to < period_from:
        errors.add("period_to", "after_from", "the period ends before it starts")
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
            raise Conflict(
                f"period_from: {auditor.username} is already assigned to contract "
                f"{contract['number']} for {taken['period_from']}–{taken['period_to']} "
                f"(assignment {taken['id']})",
                [FieldError("period_from", "no_overlap", "overlaps an existing assignment")],
            )
        row = AuditAssignment(
            auditor_id=auditor_id,
            auditor=auditor.username,
            contract=contract_id,
            period_from=period_from,
            period_to=period_to,
            assigned_by=actor.username,
            assigned_at=_now(),
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
        raise NotFound("audit assignment", assignment_id)
    return row


async def report(actor: Principal, assignment_id: int) -> files.StoredContent:
    """The agency's report of an assignment: to the agency that uploaded it and supervisors."""
    if actor.role not in (*SUPERVISORS, Role.auditor):
        raise Forbidden(f"the {actor.role.value} role has no access to audit reports")
    row = await _own_assignment(actor, assignment_id)
    if row["report_file"] is None:
        raise NotFound("audit report of assignment", assignment_id)
    return await files.content(row["report_file"])


async def _assignment_covering(actor: Principal, contract_id: int, at: datetime) -> dict:
    day = at.astimezone(get_settings().zone).date()
    rows = await AuditAssignment.select().where(
        (AuditAssignment.auditor_id == actor.user_id) & (AuditAssignment.contract == contract_id)
    )
    if not rows:
        raise NotFound("contract", contract_id)  # unassigned contracts do not exist for them
    covering = [r for r in rows if r["period_from"] <= day <= r["period_to"]]
    if not covering:
        periods = ", ".join(f"{r['period_from']}–{r['period_to']}" for r in rows)
        raise InvalidInput.single(
            "found_at", "in_period", f"{day} is outside your audit period ({periods})"
        )
    return covering[0]


async def upload_report(actor: Principal, assignment_id: int, upload: files.Upload) -> None:
    if actor.role is not Role.auditor:
        raise Forbidden("only the assigned audit agency uploads its report")
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
            {AuditAssignment.report_file: file_id, AuditAssignment.report_uploaded_at: _now()}
        ).where(AuditAssignment.id == assignment_id)
        await audit.record(
            actor,
            "audit_assignment",
            assignment_id,
            "upload_report",
            {"report_file": row["report_file"]},
            {"report_file": file_id, "filename": upload.filename},
        )


# --- notices ------------------------------------------------------------------------------


async def _next_number(year: int) -> str:
    """The year's next notice number, kept by the calling transaction until it commits, so
    two notices issued at once do not both take it."""
    await db.serialize("rectification_notice.number")
    prefix = f"ZG-{year}-"
    rows = await Notice.select(Notice.number).where(Notice.number.like(f"{prefix}%"))
    used = [int(r["number"].removeprefix(prefix)) for r in rows]
    return f"{prefix}{max(used, default=0) + 1:04d}"


async def issue_notice(actor: Principal, finding_ids: list[int]) -> int:
    """Group open findings of one contract into a notice; its deadline is the earliest of
    their severities' deadlines in the contract version in force today."""
    if actor.role not in SUPERVISORS:
        raise Forbidden(f"the {actor.role.value} role does not issue notices")
    if not finding_ids:
        raise InvalidInput.single("finding_ids", "required", "choose the findings to notify")
    async with db.transaction():
        # Locked (in id order, so two overlapping issues cannot deadlock): a second notice for
        # the same findings waits, then sees them on the first one and is refused.
        rows = await db.locked(
            Finding.select().where(Finding.id.is_in(finding_ids)).order_by(Finding.id)
        )
        missing = set(finding_ids) - {r["id"] for r in rows}
        if missing:
            raise NotFound("finding", ", ".join(map(str, sorted(missing))))
        contract_ids = {r["contract"] for r in rows}
        if len(contract_ids) > 1:
            raise InvalidInput.single(
                "finding_ids",
                "one_contract",
                "a notice goes to one vendor: these findings belong to "
                f"{len(contract_ids)} contracts",
            )
        taken = [r["id"] for r in rows if r["status"] != "open"]
        if taken:
            raise Conflict(
                f"finding_ids: findings {', '.join(map(str, taken))} are already on a notice"
            )
        (contract_id,) = contract_ids
        contract = await contracts.require_readable(actor, contract_id)
        now = _now()
        in_force = await contracts.version_in_force(
            contract_id, now.astimezone(get_settings().zone).date()
        )
        if in_force is None:
            raise InvalidInput.single(
                "finding_ids", "in_force", f"contract {contract['number']} has no version in force"
            )
        deadline = rules.notice_deadline(
            now, [Severity(r["severity"]) for r in rows], in_force.terms.deadlines
        )
        notice = Notice(
            number=await _next_number(now.astimezone(get_settings().zone).year),
            contract=contract_id,
            status=NoticeStatus.issued.value,
            issued_at=now,
            deadline=deadline,
            issued_by=actor.username,
            location_id=await locations.common_place([r["location_id"] for r in rows]),
        )
        await notice.save()
        await NoticeStep(
            notice=notice.id, at=now, action="issue", actor=actor.username, deadline=deadline
        ).save()
        await Finding.update({Finding.status: "noticed", Finding.notice_id: notice.id}).where(
            Finding.id.is_in(finding_ids)
        )
        await audit.record(
            actor,
            "notice",
            notice.id,
            "issue",
            None,
            {"number": notice.number, "findings": sorted(finding_ids), "deadline": deadline},
        )
        await alerts.on_notice(await _notice_row(notice.id), "issued")
    return notice.id


@dataclass
class GradeOutcome:
    """A contract's month as approved at month-end: what a D-grade notice is drafted from."""

    contract_id: int
    score: Decimal | None
    grade: str


async def draft_grade_notices(
    actor: Principal, run_id: int, month: str, outcomes: list[GradeOutcome]
) -> list[int]:
    """For each contract graded D in an approved month-end run, draft a rectification notice
    (§7) for a supervisor to issue or discard; the vendor sees it only once issued. One per
    contract and month: when a later revision of the month is approved, a notice already
    drafted is not duplicated; if it is still a draft it is brought up to date with the new
    score and run, otherwise (issued or discarded) it is left as it is. Runs inside the
    approval's transaction. Returns the ids of the notices drafted or updated."""
    if actor.role not in (Role.admin, Role.finance):
        raise Forbidden(f"the {actor.role.value} role does not approve month-ends")
    graded_d = [o for o in outcomes if o.grade == rules.GRADE_FOR_NOTICE]
    if not graded_d:
        return []
    touched = []
    async with db.transaction():
        existing = {
            r["contract"]: r
            for r in await Notice.select().where(
                (Notice.origin == "grade")
                & (Notice.month == month)
                & Notice.contract.is_in([o.contract_id for o in graded_d])
            )
        }
        now = _now()
        for outcome in graded_d:
            body = rules.grade_notice_text(month, outcome.score, outcome.grade)
            before = existing.get(outcome.contract_id)
            if before is not None:
                if before["status"] != NoticeStatus.draft.value or (
                    before["body"] == body and before["run_id"] == run_id
                ):
                    continue
                await Notice.update({Notice.body: body, Notice.run_id: run_id}).where(
                    Notice.id == before["id"]
                )
                await NoticeStep(
                    notice=before["id"], at=now, action="redraft", actor=actor.username, note=body
                ).save()
                await audit.record(
                    actor,
                    "notice",
                    before["id"],
                    "redraft",
                    {"run_id": before["run_id"], "body": before["body"]},
                    {"run_id": run_id, "body": body},
                )
                touched.append(before["id"])
                continue
            notice = Notice(
                number=f"DRAFT-{month}-C{outcome.contract_id}",
                contract=outcome.contract_id,
                status=NoticeStatus.draft.value,
                issued_at=now,  # placeholders until issued (see the table)
                deadline=now,
                issued_by="",
                origin="grade",
                month=month,
                run_id=run_id,
                body=body,
            )
            await notice.save()
            await NoticeStep(
                notice=notice.id, at=now, action="draft", actor=actor.username, note=body
            ).save()
            await audit.record(
                actor,
                "notice",
                notice.id,
                "draft",
                None,
                {
                    "contract": outcome.contract_id,
                    "month": month,
                    "run_id": run_id,
                    "score": outcome.score,
                    "grade": outcome.grade,
                },
            )
            touched.append(notice.id)
    return touched


async def _notice_row(notice_id: int) -> dict:
    row = (
        await Notice.select(
            Notice.all_columns(),
            Notice.contract.number.as_alias("contract_number"),
            Notice.contract.title.as_alias("contract_title"),
            Notice.contract.vendor.id.as_alias("vendor_id"),
            Notice.contract.vendor.name.as_alias("vendor_name"),
        )
        .where(Notice.id == notice_id)
        .first()
    )
    if row is None:
        raise NotFound("notice", notice_id)
    return row


def _ensure_notice_reader(actor: Principal, row: dict) -> None:
    if actor.is_vendor:
        # Another vendor's notice, or one not sent yet (a draft), does not exist for them.
        if actor.vendor_id != row["vendor_id"] or not rules.sent(row["status"]):
            raise NotFound("notice", row["id"])
        return
    if actor.role is Role.auditor:
        return  # get_notice shows it only with the auditor's own findings on it
    if actor.role not in (*SUPERVISORS, Role.procurement, Role.finance):
        raise Forbidden(f"the {actor.role.value} role has no access to notices")


def overdue(row: dict, at: datetime | None = None) -> bool:
    return rules.overdue_now(row["status"], row["deadline"], at or _now())


async def get_notice(actor: Principal, notice_id: int) -> dict:
    row = await _notice_row(notice_id)
    _ensure_notice_reader(actor, row)
    steps = await NoticeStep.select().where(NoticeStep.notice == notice_id).order_by(NoticeStep.id)
    for step in steps:
        step["evidence"] = json.loads(step["evidence"] or "[]")
    on_notice = Finding.notice_id == notice_id
    if actor.role is Role.auditor:
        # The follow-up of its own findings: the notice with those alone; others' findings,
        # and notices without its findings, do not exist for it.
        on_notice &= own_findings(actor)
    found = await with_places(await Finding.select().where(on_notice).order_by(Finding.id))
    if actor.role is Role.auditor and not found:
        raise NotFound("notice", notice_id)
    # People by name and role (§1: never a login name): who issued it, who did each step.
    named = await accounts.people([row["issued_by"], *(s["actor"] for s in steps)])
    for step in steps:
        step["by"] = named.get(step["actor"])
    now = _now()
    return {
        **row,
        "place": (await locations.names_of([row["location_id"]])).get(row["location_id"], ""),
        "issuer": named.get(row["issued_by"]),
        "steps": steps,
        "findings": found,
        "overdue": overdue(row, now),
        "due_soon": rules.due_soon(row["status"], row["deadline"], now),
    }


async def act(
    actor: Principal,
    notice_id: int,
    action: str,
    note: str = "",
    evidence: list[files.Upload] | None = None,
    severity: str = "",
) -> str:
    """Move a notice along its life cycle (§5); returns the new status. A supervisor issues a
    draft (its number is given and its deadline starts now, from `severity`'s window in the
    contract version in force; major by default) or discards it with the reason (`note`). The
    vendor of the contract acknowledges and responds; a supervisor verifies. A failed
    verification sends it back to issued with a new deadline, counted from now."""
    try:
        step = NoticeAction(action)
    except ValueError:
        raise InvalidInput.single(
            "action", "one_of", f"one of {', '.join(a.value for a in NoticeAction)}"
        ) from None
    async with db.transaction():
        # Locked: of two actions at once, the second reads the first one's result and is
        # refused if it no longer applies (409 naming the status it found).
        await db.locked(Notice.select(Notice.id).where(Notice.id == notice_id)).first()
        row = await _notice_row(notice_id)
        _ensure_notice_reader(actor, row)
        party = "vendor" if actor.is_vendor else "supervisor" if actor.role in SUPERVISORS else ""
        if not party:
            raise Forbidden(f"the {actor.role.value} role does not act on notices")
        try:
            status = rules.next_status(NoticeStatus(row["status"]), step, party)
        except rules.TransitionRefused as refused:
            raise Conflict(f"action: {refused}") from None
        if step is NoticeAction.respond and not note.strip():
            raise InvalidInput.single("note", "required", "describe what was done to fix it")
        if step is NoticeAction.discard and not note.strip():
            raise InvalidInput.single("note", "required", "say why the draft is not sent")
        if step is NoticeAction.issue:
            chosen = severity or row["severity"] or Severity.major.value
            if chosen not in {s.value for s in Severity}:
                raise InvalidInput.single("severity", "one_of", "minor, major or critical")
        evidence = [u for u in evidence or [] if u.data]
        for upload in evidence:
            files.check_upload("evidence", upload)
        stored = [str(await files.store(u, actor.user_id)) for u in evidence]
        now = _now()
        changes: dict = {Notice.status: status.value}
        deadline = None
        if step is NoticeAction.issue:
            row["severity"] = chosen
            changes[Notice.severity] = chosen
            changes[Notice.number] = await _next_number(now.astimezone(get_settings().zone).year)
            changes[Notice.issued_at] = now
            changes[Notice.issued_by] = actor.username
        if step is NoticeAction.discard:
            changes[Notice.discard_reason] = note.strip()
        if step in (NoticeAction.issue, NoticeAction.verify_failed):
            found = await Finding.select(Finding.severity).where(Finding.notice_id == notice_id)
            severities = [Severity(f["severity"]) for f in found] or [Severity(row["severity"])]
            in_force = await contracts.version_in_force(
                row["contract"], now.astimezone(get_settings().zone).date()
            )
            deadlines = in_force.terms.deadlines if in_force else rules.Deadlines()
            deadline = rules.notice_deadline(now, severities, deadlines)
            changes[Notice.deadline] = deadline
        if status is NoticeStatus.closed:
            changes[Notice.closed_at] = now
            await Finding.update({Finding.status: "closed"}).where(Finding.notice_id == notice_id)
        await Notice.update(changes).where(Notice.id == notice_id)
        await NoticeStep(
            notice=notice_id,
            at=now,
            action=step.value,
            actor=actor.username,
            note=note.strip(),
            deadline=deadline,
            evidence=json.dumps(stored),
        ).save()
        await audit.record(
            actor,
            "notice",
            notice_id,
            step.value,
            {"status": row["status"], "deadline": row["deadline"]},
            {
                "status": status.value,
                "deadline": deadline or row["deadline"],
                "note": note.strip(),
                "evidence": stored,
                **({"number": changes[Notice.number]} if Notice.number in changes else {}),
            },
        )
        if step in (NoticeAction.issue, NoticeAction.verify_failed):
            await alerts.on_notice(await _notice_row(notice_id), "issued")
        elif step is NoticeAction.respond:
            await alerts.on_notice(await _notice_row(notice_id), "response_submitted")
    return status.value


async def deadline_choices(notice: dict) -> list[tuple[str, int]]:
    """For issuing a draft: each severity with its window in hours from the contract version
    in force today, most urgent first."""
    today = _now().astimezone(get_settings().zone).date()
    in_force = await contracts.version_in_force(notice["contract"], today)
    deadlines = in_force.terms.deadlines if in_force else rules.Deadlines()
    return [
        (s.value, rules.deadline_hours(s, deadlines))
        for s in (Severity.critical, Severity.major, Severity.minor)
    ]


async def evidence(actor: Principal, notice_id: int, file_id: str) -> files.StoredContent:
    """A file the vendor attached to its response, to whoever may read the notice."""
    notice = await get_notice(actor, notice_id)
    if not any(file_id in step["evidence"] for step in notice["steps"]):
        raise NotFound("evidence", file_id)
    return await files.content(uuid.UUID(file_id))


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
