"""Audits, rectification notice stage: numbering and issuing a notice over open findings with
deadlines from the contract version in force, the drafts the month-end grade calls for, reading
a notice with its steps, and its life cycle (acknowledge, respond with evidence, verify, close),
each step locked, audited and announced."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from vendorgov import db
from vendorgov.accounts import service as accounts
from vendorgov.accounts.roles import Principal, Role, role_label
from vendorgov.audit import service as audit
from vendorgov.audits import alerts, rules
from vendorgov.audits.access import SUPERVISORS, own_findings
from vendorgov.audits.rules import NoticeAction, NoticeStatus, Severity
from vendorgov.audits.service import utc_now, with_places
from vendorgov.audits.tables import Finding, Notice, NoticeStep
from vendorgov.contracts import service as contracts
from vendorgov.errors import Conflict, Forbidden, InvalidInput, NotFound, member_of
from vendorgov.files import service as files
from vendorgov.humane import joined
from vendorgov.i18n import N_, _
from vendorgov.locations import service as locations
from vendorgov.settings import get_settings


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
        raise Forbidden(_("The %(role)s role does not issue notices.", role=role_label(actor.role)))
    if not finding_ids:
        raise InvalidInput.single(
            "finding_ids", "required", _("Findings: choose the findings the notice is about.")
        )
    async with db.transaction():
        # Locked (in id order, so two overlapping issues cannot deadlock): a second notice for
        # the same findings waits, then sees them on the first one and is refused.
        rows = await db.locked(
            Finding.select().where(Finding.id.is_in(finding_ids)).order_by(Finding.id)
        )
        missing = set(finding_ids) - {r["id"] for r in rows}
        if missing:
            raise NotFound(N_("finding"), joined(sorted(missing)))
        contract_ids = {r["contract"] for r in rows}
        if len(contract_ids) > 1:
            raise InvalidInput.single(
                "finding_ids",
                "one_contract",
                _(
                    "Findings: a notice goes to one vendor, but these findings belong to "
                    "%(n)s contracts; choose findings of one contract.",
                    n=len(contract_ids),
                ),
            )
        taken = [r["id"] for r in rows if r["status"] != "open"]
        if taken:
            raise Conflict(
                _(
                    "Findings %(ids)s are already on a notice; choose open findings only.",
                    ids=joined(taken),
                )
            )
        (contract_id,) = contract_ids
        contract = await contracts.require_readable(actor, contract_id)
        now = utc_now()
        in_force = await contracts.version_in_force(
            contract_id, now.astimezone(get_settings().zone).date()
        )
        if in_force is None:
            raise InvalidInput.single(
                "finding_ids",
                "in_force",
                _(
                    "Findings: contract %(number)s has no signed version in force today, so "
                    "there is no deadline to give; sign a version first.",
                    number=contract["number"],
                ),
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
        raise Forbidden(
            _("The %(role)s role does not approve month-ends.", role=role_label(actor.role))
        )
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
        now = utc_now()
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
        raise NotFound(N_("notice"), notice_id)
    return row


def _ensure_notice_reader(actor: Principal, row: dict) -> None:
    if actor.is_vendor:
        # Another vendor's notice, or one not sent yet (a draft), does not exist for them.
        if actor.vendor_id != row["vendor_id"] or not rules.sent(row["status"]):
            raise NotFound(N_("notice"), row["id"])
        return
    if actor.role is Role.auditor:
        return  # get_notice shows it only with the auditor's own findings on it
    if actor.role not in (*SUPERVISORS, Role.procurement, Role.finance):
        raise Forbidden(
            _("The %(role)s role has no access to notices.", role=role_label(actor.role))
        )


def overdue(row: dict, at: datetime | None = None) -> bool:
    return rules.overdue_now(row["status"], row["deadline"], at or utc_now())


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
        raise NotFound(N_("notice"), notice_id)
    # People by name and role (§1: never a login name): who issued it, who did each step.
    named = await accounts.people([row["issued_by"], *(s["actor"] for s in steps)])
    for step in steps:
        step["by"] = named.get(step["actor"])
    now = utc_now()
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
    step = member_of(NoticeAction, action, "action")
    async with db.transaction():
        # Locked: of two actions at once, the second reads the first one's result and is
        # refused if it no longer applies (409 naming the status it found).
        await db.locked(Notice.select(Notice.id).where(Notice.id == notice_id)).first()
        row = await _notice_row(notice_id)
        _ensure_notice_reader(actor, row)
        party = "vendor" if actor.is_vendor else "supervisor" if actor.role in SUPERVISORS else ""
        if not party:
            raise Forbidden(
                _("The %(role)s role does not act on notices.", role=role_label(actor.role))
            )
        try:
            status = rules.next_status(NoticeStatus(row["status"]), step, party)
        except rules.TransitionRefused as refused:
            raise Conflict(str(refused)) from None
        if step is NoticeAction.respond and not note.strip():
            raise InvalidInput.single(
                "note", "required", _("Response: describe what was done to fix the findings.")
            )
        if step is NoticeAction.discard and not note.strip():
            raise InvalidInput.single(
                "note", "required", _("Reason: say why the draft is not sent.")
            )
        if step is NoticeAction.issue:
            chosen = severity or row["severity"] or Severity.major.value
            if chosen not in {s.value for s in Severity}:
                raise InvalidInput.single(
                    "severity", "one_of", _("Severity: choose minor, major or critical.")
                )
        evidence = [u for u in evidence or [] if u.data]
        for upload in evidence:
            files.check_upload("evidence", upload)
        stored = [str(await files.store(u, actor.user_id)) for u in evidence]
        now = utc_now()
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
    today = utc_now().astimezone(get_settings().zone).date()
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
        raise NotFound(N_("evidence"), file_id)
    return await files.content(uuid.UUID(file_id))
