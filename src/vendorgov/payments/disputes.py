"""Vendor disputes of a computed month (§7): during the dispute window each vendor sees its
draft statements and may dispute a line with a reason and evidence, or waive the window;
finance upholds (the cause is corrected and the month recomputed) or rejects with a reason the
vendor sees. A run is approvable only when no dispute of its month is open, none upheld against
it, and its window has closed or every vendor in it waived."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

from vendorgov import db
from vendorgov.accounts.roles import Principal, Role, role_label
from vendorgov.audit import service as audit
from vendorgov.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from vendorgov.files import service as files
from vendorgov.i18n import N_, _, ngettext
from vendorgov.payments import alerts, dispute_rules
from vendorgov.payments.labels import COMPONENT_LABELS, LINE_LABELS
from vendorgov.payments.tables import Dispute, DisputeWaiver, PaymentRun, Statement
from vendorgov.settings import get_settings
from vendorgov.workdays import service as workdays

FINANCE = (Role.admin, Role.finance)
DECISIONS = {"uphold": "upheld", "reject": "rejected"}
# A second ruling's 409, by the status the first one left.
RULED = {
    "upheld": N_("Dispute %(id)s was upheld by %(by)s already."),
    "rejected": N_("Dispute %(id)s was rejected by %(by)s already."),
}


def _window_reach() -> timedelta:
    """A window lasts a few working days, so only runs computed this long ago or later can
    still have one open (or have one close now): a month back covers the longest holiday."""
    return timedelta(days=31 + 2 * get_settings().dispute_window_days)


def _now() -> datetime:
    return datetime.now(UTC)


async def window_closes(run: dict) -> datetime:
    settings = get_settings()
    days = settings.dispute_window_days
    first = run["computed_at"].astimezone(settings.zone).date()
    # Enough days to count the window across the longest holiday (Spring Festival, 9 days).
    calendar = await workdays.calendar_for(first, first + timedelta(days=2 * days + 31))
    return dispute_rules.window_closes(run["computed_at"], days, settings.zone, calendar)


async def _is_newest(run: dict) -> bool:
    newest = (
        await PaymentRun.select(PaymentRun.revision)
        .where(PaymentRun.month == run["month"])
        .order_by(PaymentRun.revision, ascending=False)
        .first()
    )
    return newest["revision"] == run["revision"]


async def window_open(run: dict) -> bool:
    """Whether vendors may still see and dispute the run's drafts: the newest revision of its
    month, not yet approved, inside the window."""
    return (
        run["status"] == "computed" and _now() < await window_closes(run) and await _is_newest(run)
    )


async def _waived(run_id: int) -> set[int]:
    rows = await DisputeWaiver.select(DisputeWaiver.vendor_id).where(DisputeWaiver.run_id == run_id)
    return {r["vendor_id"] for r in rows}


async def ensure_approvable(run: dict) -> None:
    """Raise Conflict (409, saying why) when the run may not be approved yet. The approval
    calls it inside its transaction, after locking the run."""
    pending = await Dispute.count().where(
        (Dispute.month == run["month"]) & (Dispute.status == "open")
    )
    if pending:
        raise Conflict(
            ngettext(
                "%(num)s dispute on %(month)s awaits a ruling: uphold or reject it first.",
                "%(num)s disputes on %(month)s await a ruling: uphold or reject them first.",
                pending,
                month=run["month"],
            )
        )
    upheld = await Dispute.count().where(
        (Dispute.run_id == run["id"]) & (Dispute.status == "upheld")
    )
    if upheld:
        raise Conflict(
            _(
                "A dispute against revision %(revision)s was upheld: correct the cause and "
                "compute the month again.",
                revision=run["revision"],
            )
        )
    closes = await window_closes(run)
    if _now() < closes:
        # Statements carried over unchanged had their window in the revision that computed
        # them: only the vendors whose statements this revision computed are waited for.
        vendors = {
            r["vendor_id"]
            for r in await Statement.select(Statement.vendor_id).where(
                (Statement.run == run["id"]) & (Statement.carried_over == False)  # noqa: E712
            )
        }
        waiting = vendors - await _waived(run["id"])
        if waiting:
            local = closes.astimezone(get_settings().zone)
            raise Conflict(
                _(
                    "The vendors' dispute window runs until %(until)s (%(waiting)s of "
                    "%(vendors)s vendors have not waived it); approve after it closes.",
                    until=local.strftime("%Y-%m-%d %H:%M"),
                    waiting=len(waiting),
                    vendors=len(vendors),
                )
            )


async def _vendor_statement(actor: Principal, run_id: int, contract_id: int) -> tuple[dict, dict]:
    """The run and the vendor's own statement in it; anything else is a 404."""
    if not actor.is_vendor:
        raise Forbidden(_("Only the vendor disputes its statement."))
    run = await PaymentRun.select().where(PaymentRun.id == run_id).first()
    row = (
        await Statement.select()
        .where((Statement.run == run_id) & (Statement.contract == contract_id))
        .first()
    )
    if run is None or row is None or row["vendor_id"] != actor.vendor_id:
        raise NotFound(N_("statement"), f"{run_id}/{contract_id}")
    return run, row


async def _ensure_window(run: dict) -> None:
    if run["status"] != "computed" or not await _is_newest(run):
        raise Conflict(
            _(
                "Revision %(revision)s of %(month)s is no longer a draft; open the newest "
                "statement.",
                revision=run["revision"],
                month=run["month"],
            )
        )
    closes = await window_closes(run)
    if _now() >= closes:
        local = closes.astimezone(get_settings().zone)
        raise Conflict(
            _("The dispute window closed at %(closed)s.", closed=local.strftime("%Y-%m-%d %H:%M"))
        )


async def raise_dispute(
    actor: Principal,
    run_id: int,
    contract_id: int,
    line: str,
    reason: str,
    evidence: list[files.Upload] | None = None,
) -> int:
    """The vendor disputes one line (score component or money line) of its draft statement."""
    run, row = await _vendor_statement(actor, run_id, contract_id)
    statement = {"components": json.loads(row["components"]), "lines": json.loads(row["lines"])}
    options = dispute_rules.disputable_lines(statement, COMPONENT_LABELS, LINE_LABELS)
    reason = reason.strip()
    uploads = [u for u in evidence or [] if u.data]
    errors = []
    if line not in options:
        errors.append(("line", "one_of", _("Line: choose a line of the statement.")))
    if not reason:
        errors.append(("reason", "required", _("Reason: say what is wrong with the line.")))
    elif len(reason) > dispute_rules.MAX_REASON:
        errors.append(
            (
                "reason",
                "max_length",
                _("Reason: at most %(n)s characters.", n=dispute_rules.MAX_REASON),
            )
        )
    if len(uploads) > dispute_rules.MAX_EVIDENCE_FILES:
        errors.append(
            (
                "evidence",
                "max_files",
                _("Evidence: at most %(n)s files.", n=dispute_rules.MAX_EVIDENCE_FILES),
            )
        )
    if errors:
        raise InvalidInput([FieldError(*e) for e in errors])
    for upload in uploads:
        files.check_upload("evidence", upload)
    async with db.transaction():
        # Locked: the approval, which locks the run too, sees this dispute or refuses it.
        run = await db.locked(PaymentRun.select().where(PaymentRun.id == run_id)).first()
        await _ensure_window(run)
        if actor.vendor_id in await _waived(run_id):
            raise Conflict(_("You waived the dispute window of this revision."))
        stored = [str(await files.store(u, actor.user_id)) for u in uploads]
        values = {
            "run_id": run_id,
            "contract_id": contract_id,
            "vendor_id": actor.vendor_id,
            "month": run["month"],
            "line": line,
            "line_label": options[line],
            "reason": reason,
            "evidence": json.dumps(stored),
        }
        dispute = Dispute(**values, status="open", raised_by=actor.username, raised_at=_now())
        await dispute.save()
        await audit.record(actor, "payment_dispute", dispute.id, "raise", None, values)
        await alerts.dispute_filed(dispute.id, contract_id, run["month"], run_id)
    return dispute.id


async def waive(actor: Principal, run_id: int) -> None:
    """The vendor gives up the rest of its window on the revision; repeating it is harmless."""
    if not actor.is_vendor:
        raise Forbidden(_("Only a vendor waives its dispute window."))
    async with db.transaction():
        run = await db.locked(PaymentRun.select().where(PaymentRun.id == run_id)).first()
        has_statement = run is not None and await Statement.exists().where(
            (Statement.run == run_id) & (Statement.vendor_id == actor.vendor_id)
        )
        if not has_statement:
            raise NotFound(N_("payment run"), run_id)
        if actor.vendor_id in await _waived(run_id):
            return
        await _ensure_window(run)
        await DisputeWaiver.insert(
            DisputeWaiver(
                run_id=run_id,
                vendor_id=actor.vendor_id,
                waived_by=actor.username,
                waived_at=_now(),
            )
        )
        await audit.record(
            actor, "payment_run", run_id, "waive_disputes", None, {"vendor_id": actor.vendor_id}
        )


async def rule(actor: Principal, dispute_id: int, decision: str, note: str) -> str:
    """Finance upholds or rejects an open dispute with a note; returns the new status. Of two
    rulings at once, the second finds it ruled and gets a 409."""
    if actor.role not in FINANCE:
        raise Forbidden(
            _("The %(role)s role does not rule on disputes.", role=role_label(actor.role))
        )
    note = note.strip()
    if decision not in DECISIONS:
        raise InvalidInput.single("decision", "one_of", _("Decision: uphold or reject."))
    if not note:
        message = (
            _("Note: say what was corrected.")
            if decision == "uphold"
            else _("Note: give the reason the vendor will read.")
        )
        raise InvalidInput.single("note", "required", message)
    if len(note) > dispute_rules.MAX_REASON:
        raise InvalidInput.single(
            "note", "max_length", _("Note: at most %(n)s characters.", n=dispute_rules.MAX_REASON)
        )
    status = DECISIONS[decision]
    async with db.transaction():
        changed = (
            await Dispute.update(
                {
                    Dispute.status: status,
                    Dispute.ruling: note,
                    Dispute.ruled_by: actor.username,
                    Dispute.ruled_at: _now(),
                }
            )
            .where((Dispute.id == dispute_id) & (Dispute.status == "open"))
            .returning(
                Dispute.id, Dispute.run_id, Dispute.contract_id, Dispute.vendor_id, Dispute.month
            )
        )
        if not changed:
            row = await Dispute.select().where(Dispute.id == dispute_id).first()
            if row is None:
                raise NotFound(N_("dispute"), dispute_id)
            raise Conflict(_(RULED[row["status"]], id=dispute_id, by=row["ruled_by"]))
        await audit.record(
            actor,
            "payment_dispute",
            dispute_id,
            decision,
            {"status": "open"},
            {"status": status, "ruling": note},
        )
        await alerts.dispute_ruled(changed[0], status, note)
    return status


def _out(row: dict) -> dict:
    return {**row, "evidence": json.loads(row["evidence"])}


async def of_month(actor: Principal, month: str) -> list[dict]:
    """Every dispute of the month (all revisions), for finance."""
    if actor.role not in FINANCE:
        raise Forbidden(
            _("The %(role)s role has no access to disputes.", role=role_label(actor.role))
        )
    rows = await Dispute.select().where(Dispute.month == month).order_by(Dispute.id)
    return [_out(r) for r in rows]


async def of_statement(contract_id: int, month: str) -> list[dict]:
    """The contract's disputes of the month (any revision) with their rulings, shown on its
    statement; the caller has checked that the reader may see the statement."""
    rows = (
        await Dispute.select()
        .where((Dispute.contract_id == contract_id) & (Dispute.month == month))
        .order_by(Dispute.id)
    )
    return [_out(r) for r in rows]


async def vendor_view(actor: Principal, run: dict, statement: dict) -> dict:
    """What the statement page offers its vendor: the lines it may dispute while the window
    is open, when the window closes, whether it waived."""
    closes = await window_closes(run)
    waived = actor.is_vendor and actor.vendor_id in await _waived(run["id"])
    can_dispute = actor.is_vendor and not waived and await window_open(run)
    return {
        "closes": closes,
        "waived": waived,
        "can_dispute": can_dispute,
        "options": dispute_rules.disputable_lines(statement, COMPONENT_LABELS, LINE_LABELS)
        if can_dispute
        else {},
    }


async def drafts_for_vendor(actor: Principal) -> list[dict]:
    """The vendor's draft statements whose dispute window is open."""
    if not actor.is_vendor:
        raise Forbidden(_("This list is the vendor's own statements."))
    rows = await Statement.select(
        Statement.run,
        Statement.contract,
        Statement.grade,
        Statement.score,
        Statement.net,
        Statement.contract.number.as_alias("contract_number"),
        Statement.run.month.as_alias("month"),
        Statement.run.revision.as_alias("revision"),
        Statement.run.status.as_alias("status"),
        Statement.run.computed_at.as_alias("computed_at"),
    ).where(
        (Statement.vendor_id == actor.vendor_id)
        & (Statement.run.status == "computed")
        # A window lasts a few working days: only runs computed in the last weeks are open.
        & (Statement.run.computed_at >= datetime.now(UTC) - _window_reach())
    )
    waived = {
        r["run_id"]
        for r in await DisputeWaiver.select(DisputeWaiver.run_id).where(
            DisputeWaiver.vendor_id == actor.vendor_id
        )
    }
    drafts, closing = [], {}
    for row in rows:
        run = {"id": row["run"], **{k: row[k] for k in ("month", "revision", "status")}}
        run["computed_at"] = row["computed_at"]
        if run["id"] not in closing:  # one check per run, not per statement
            closes = await window_closes(run)
            closing[run["id"]] = closes if _now() < closes and await _is_newest(run) else None
        if (closes := closing[run["id"]]) is not None:
            drafts.append(
                {
                    **row,
                    "score": db.two_places(row["score"]),
                    "net": db.two_places(row["net"]),
                    "closes": closes,
                    "waived": row["run"] in waived,
                }
            )
    return drafts


async def evidence(actor: Principal, dispute_id: int, file_id: str) -> files.StoredContent:
    """A file attached to a dispute: to finance, or to the disputing vendor."""
    row = await Dispute.select().where(Dispute.id == dispute_id).first()
    readable = row is not None and (
        actor.role in FINANCE or (actor.is_vendor and actor.vendor_id == row["vendor_id"])
    )
    if not readable or file_id not in json.loads(row["evidence"]):
        raise NotFound(N_("evidence"), file_id)
    return await files.content(uuid.UUID(file_id))


async def open_disputes(actor: Principal, limit: int) -> tuple[list[dict], int]:
    """The oldest `limit` disputes waiting for finance's ruling and how many wait in all
    (the finance dashboard)."""
    if actor.role not in FINANCE:
        return [], 0
    waiting = Dispute.status == "open"
    rows = await Dispute.select().where(waiting).order_by(Dispute.id).limit(limit)
    return [_out(r) for r in rows], await Dispute.count().where(waiting)


async def windows_closing(start: datetime, end: datetime) -> list[dict]:
    """Computed runs whose dispute window closed in [start, end): the scheduler's hourly list
    (the run may now be approved), each run once."""
    since = start - _window_reach()
    rows = await PaymentRun.select(
        PaymentRun.id, PaymentRun.month, PaymentRun.revision, PaymentRun.computed_at
    ).where((PaymentRun.status == "computed") & (PaymentRun.computed_at >= since))
    closing = []
    for r in rows:
        closes = await window_closes(r)
        if start <= closes < end and closes > r["computed_at"]:
            closing.append(
                {"run": r["id"], "month": r["month"], "revision": r["revision"], "closed": closes}
            )
    return closing
