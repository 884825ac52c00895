"""Service requests (§9): filed and routed, accepted, responded to on site, resolved with a
photo, rated or confirmed on their own, complaints drafted for a supervisor. Every step locks
the request's row (db.locked) and checks its status, so of two racing steps one wins and the
other is a 409; the same person repeating a step gets the request as it is. Each step writes
the request's service event (sla.requests) in its own transaction."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from vendorgov import db
from vendorgov.accounts.roles import Principal, Role
from vendorgov.audit import service as audit
from vendorgov.audits import service as audits
from vendorgov.errors import Collector, Conflict, Forbidden, InvalidInput, NotFound
from vendorgov.files import service as files
from vendorgov.files.service import Upload
from vendorgov.i18n import N_, _
from vendorgov.servicedesk import alerts, rules
from vendorgov.servicedesk.access import (
    CENTRE,
    KEEPERS,
    Desk,
    desk,
    ensure,
    sees,
    worker_of,
)
from vendorgov.servicedesk.rules import Action, NewRequest, Status
from vendorgov.servicedesk.tables import ServiceRequest as R
from vendorgov.settings import get_settings
from vendorgov.sla.requests import RequestEvent, record_request
from vendorgov.vendors.rules import CATEGORY_LABELS

IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp")


def _now() -> datetime:
    return datetime.now(UTC)


def check_photo(field: str, photo: Upload | None, errors: Collector) -> None:
    if photo is None:
        return
    try:
        files.check_upload(field, photo, IMAGE_TYPES, get_settings().service_photo_bytes)
    except InvalidInput as refused:
        errors.errors += refused.errors


def decorate(row: dict, now: datetime | None = None) -> dict:
    """A request as pages and the API show it: its SLA state and age band at `now`."""
    now = now or _now()
    row["sla_state"] = rules.sla_state(row, now).value
    row["age_band"] = rules.age_band(row["reported_at"], now)
    row["category_label"] = CATEGORY_LABELS.get(row["category"], (row["category"],) * 2)
    return row


async def _event(row: dict) -> None:
    await record_request(
        RequestEvent(
            contract_id=row["contract"],
            external_id=row["number"],
            category=row["category"],
            priority=row["priority"],
            location=row["location_name"],
            location_id=row["location_id"],
            reported_at=row["reported_at"],
            responded_at=row["responded_at"],
            resolved_at=row["resolved_at"],
            satisfaction=row["rating"],
            # A dismissed complaint is not one (§5 complaint_count).
            complaint=row["complaint"] and row["complaint_review"] != "dismissed",
        )
    )


async def _row(request_id: int, lock: bool = False) -> dict:
    query = R.select().where(R.id == request_id)
    row = await (db.locked(query) if lock else query).first()
    if row is None:
        raise NotFound(N_("service request"), request_id)
    return row


async def get(actor: Principal, request_id: int) -> dict:
    me = await desk(actor)
    ensure(
        actor,
        (*CENTRE, Role.ward, Role.vendor),
        N_("The %(role)s role does not read service requests."),
    )
    row = await _row(request_id)
    if not sees(me, row):
        raise NotFound(N_("service request"), request_id)
    return decorate(row)


@dataclass
class Step:
    """One step of the life cycle: who may take it (raises Forbidden), whether an earlier
    identical call by this person already took it, and the columns it sets."""

    action: Action
    permit: Callable[[Desk, dict], None]
    repeated: Callable[[Desk, dict], bool]
    values: Callable[[dict, datetime], dict]


def _vendor_staff(me: Desk, row: dict) -> None:
    if not me.principal.is_vendor:
        raise Forbidden(_("Only the vendor's staff take this step."))
    if me.is_worker and row["assignee_id"] not in (None, me.principal.user_id):
        raise Conflict(
            _("The request is assigned to %(name)s; ask your manager.", name=row["assignee_name"])
        )


def _own_step(me: Desk, row: dict) -> bool:
    return row["assignee_id"] == me.principal.user_id


async def _take(actor: Principal, request_id: int, step: Step, after_step=None) -> dict:
    me = await desk(actor)
    async with db.transaction():
        row = await _row(request_id, lock=True)
        if not sees(me, row):
            raise NotFound(N_("service request"), request_id)
        step.permit(me, row)
        status = Status(row["status"])
        if rules.already_done(status, step.action) and step.repeated(me, row):
            return decorate(row)
        try:
            new = rules.next_status(status, step.action)
        except rules.Refused as refused:
            raise Conflict(str(refused)) from None
        now = _now()
        values = {**step.values(row, now), "status": new.value, "updated_at": now}
        # Conditional on the status read: without row locks (SQLite runs one writer at a
        # time anyway) the update still cannot apply twice.
        await R.update(values).where((R.id == request_id) & (R.status == status.value))
        after = {**row, **values}
        await _event(after)
        changed = {k: v for k, v in values.items() if k != "updated_at"}
        await audit.record(
            actor,
            "service_request",
            request_id,
            step.action.value,
            {k: row[k] for k in changed},
            changed,
        )
        if after_step:
            await after_step(after)
    return decorate(after)


async def accept(actor: Principal, request_id: int) -> dict:
    """A vendor user takes the request (a worker: unless it is assigned to someone else)."""
    return await _take(
        actor,
        request_id,
        Step(
            Action.accept,
            _vendor_staff,
            _own_step,
            lambda row, now: {
                "accepted_at": now,
                "assignee_id": row["assignee_id"] or actor.user_id,
                "assignee_name": row["assignee_name"] or actor.display_name,
            },
        ),
    )


async def arrive(actor: Principal, request_id: int) -> dict:
    """On site: the response of §5, timed by the server."""
    return await _take(
        actor,
        request_id,
        Step(Action.arrive, _vendor_staff, _own_step, lambda row, now: {"responded_at": now}),
    )


async def resolve(actor: Principal, request_id: int, note: str, photo: Upload | None) -> dict:
    """Resolved, with a photo of the result (required) and an optional note."""
    errors = Collector()
    if photo is None:
        errors.add("photo", "required", _("Photo: add a photo of the result."))
    check_photo("photo", photo, errors)
    if len(note) > rules.MAX_DESCRIPTION:
        errors.add(
            "note", "max_length", _("Note: at most %(n)s characters.", n=rules.MAX_DESCRIPTION)
        )
    errors.raise_if_any()
    # Stored before the step: a refused step leaves an unreferenced blob, never a half step.
    photo_id = await files.store(photo, actor.user_id)
    return await _take(
        actor,
        request_id,
        Step(
            Action.resolve,
            _vendor_staff,
            _own_step,
            lambda row, now: {
                "resolved_at": now,
                "resolution_note": note.strip(),
                "resolution_photo_id": str(photo_id),
            },
        ),
        alerts.resolved,
    )


async def assign(actor: Principal, request_id: int, assignee_id: int | None) -> dict:
    """A vendor manager gives an open request to one of its users (accepting it for them)."""
    me = await desk(actor)
    if not me.is_manager:
        raise Forbidden(_("Only the vendor's managers assign requests."))
    if assignee_id is None:
        raise InvalidInput.single("assignee_id", "required", _("Assignee: choose who takes it."))
    person = await worker_of(actor.vendor_id, assignee_id)
    async with db.transaction():
        row = await _row(request_id, lock=True)
        if not sees(me, row):
            raise NotFound(N_("service request"), request_id)
        if row["assignee_id"] == assignee_id:
            return decorate(row)
        if row["status"] not in (Status.submitted.value, Status.accepted.value):
            raise Conflict(
                _(
                    "The request is %(status)s: only a waiting or accepted one is assigned.",
                    status=_(rules.STATUS_LABELS[Status(row["status"])]),
                )
            )
        now = _now()
        values = {
            "assignee_id": assignee_id,
            "assignee_name": person.display_name,
            "status": Status.accepted.value,
            "accepted_at": row["accepted_at"] or now,
            "updated_at": now,
        }
        await R.update(values).where((R.id == request_id) & (R.status == row["status"]))
        await audit.record(
            actor,
            "service_request",
            request_id,
            "assign",
            {"assignee_id": row["assignee_id"], "status": row["status"]},
            {"assignee_id": assignee_id, "status": Status.accepted.value},
        )
        await alerts.assigned({**row, **values})
    return decorate({**row, **values})


async def rate(
    actor: Principal,
    request_id: int,
    rating: int | None,
    comment: str = "",
    complaint: bool = False,
) -> dict:
    """The requester confirms and rates 1–5 (§9), once: a second rating is a 409. A rating of
    1–2 or the complaint flag drafts a complaint finding for a supervisor."""
    rules.check_rating(rating, comment).raise_if_any()

    def permit(me: Desk, row: dict) -> None:
        if row["requested_by"] != me.principal.user_id:
            raise Forbidden(_("Only the person who filed the request rates it."))
        if row["rating"] is not None:
            raise Conflict(_("The request was already rated %(rating)s.", rating=row["rating"]))

    def values(row: dict, now: datetime) -> dict:
        flagged = complaint or row["complaint"]
        review = row["complaint_review"]
        if not review and rules.needs_complaint_review(rating, flagged):
            review = "pending"
        return {
            "rating": rating,
            "rating_comment": comment.strip(),
            "confirmed_at": now,
            "complaint": flagged,
            "complaint_review": review,
        }

    async def drafted(after: dict) -> None:
        if after["complaint_review"] == "pending":
            await alerts.complaint_drafted(after)

    return await _take(
        actor, request_id, Step(Action.rate, permit, lambda me, row: False, values), drafted
    )


async def review_complaint(
    actor: Principal, request_id: int, decision: str, severity: str = "minor", reason: str = ""
) -> dict:
    """A supervisor confirms the drafted complaint (a complaint finding is raised, §5) or
    dismisses it with a reason (the event then counts no complaint)."""
    ensure(actor, KEEPERS, N_("The %(role)s role does not rule on complaints."))
    errors = Collector()
    if decision not in ("confirm", "dismiss"):
        errors.add("decision", "one_of", _("Decision: confirm or dismiss."))
    if decision == "dismiss" and not reason.strip():
        errors.add("reason", "required", _("Reason: say why it is dismissed."))
    errors.raise_if_any()
    async with db.transaction():
        row = await _row(request_id, lock=True)
        if row["complaint_review"] != "pending":
            raise Conflict(
                _("No complaint on this request awaits a ruling; reload it to see its state.")
            )
        values: dict = {"updated_at": _now()}
        if decision == "confirm":
            values["finding_id"] = await audits.raise_finding(
                actor,
                audits.FindingInput(
                    contract_id=row["contract"],
                    source="complaint",
                    severity=severity,
                    category=CATEGORY_LABELS.get(row["category"], (row["category"],) * 2)[1],
                    description=_finding_text(row),
                    found_at=row["reported_at"],
                    location_id=row["location_id"],
                ),
            )
            values["complaint_review"] = "confirmed"
        else:
            values["complaint_review"] = "dismissed"
        await R.update(values).where(R.id == request_id)
        after = {**row, **values}
        await _event(after)
        await audit.record(
            actor,
            "service_request",
            request_id,
            f"complaint_{decision}",
            {"complaint_review": "pending"},
            {"complaint_review": values["complaint_review"], "reason": reason.strip()},
        )
    return decorate(after)


def _finding_text(row: dict) -> str:
    rating = f"，评分 {row['rating']}" if row["rating"] is not None else ""
    comment = f"：{row['rating_comment']}" if row["rating_comment"] else ""
    return f"服务请求 {row['number']}（{row['description'][:200]}）投诉{rating}{comment}"


async def photo(actor: Principal, request_id: int, which: str) -> files.StoredContent:
    row = await get(actor, request_id)
    file_id = row["resolution_photo_id" if which == "resolution" else "photo_id"]
    if not file_id:
        raise NotFound(N_("photo of request"), request_id)
    return await files.content(uuid.UUID(file_id))


# --- the scheduler ---------------------------------------------------------------------------


async def auto_confirm(now: datetime) -> int:
    """Confirm (without a rating) the requests resolved at least the set hours ago (§9); how
    many. One conditional UPDATE: a rating given meanwhile keeps its request out."""
    cutoff = now - timedelta(hours=get_settings().service_confirm_hours)
    async with db.transaction():
        rows = await R.select(R.id).where(
            (R.status == Status.resolved.value) & (R.resolved_at <= cutoff)
        )
        if not rows:
            return 0
        ids = [r["id"] for r in rows]
        await R.update(
            {R.status: Status.confirmed.value, R.confirmed_at: now, R.updated_at: now}
        ).where(R.id.is_in(ids) & (R.status == Status.resolved.value))
        await audit.record(
            audit.SYSTEM, "service_request", "auto", "auto_confirm", None, {"ids": ids}
        )
    return len(ids)


async def escalate(now: datetime) -> list[dict]:
    """§9: requests that used 80 % of a step's threshold without it go to the vendor's
    managers; past the threshold, to the supervisors. Each step and level once: the level is
    raised by a conditional UPDATE, and only the update that raised it notifies."""
    open_ = [s.value for s in rules.OPEN]
    candidates = await R.select().where(
        R.status.is_in(open_)
        & (
            ((R.responded_at.is_null()) & (R.response_warn_at <= now) & (R.response_escalation < 2))
            | (
                (R.resolved_at.is_null())
                & (R.resolution_warn_at <= now)
                & (R.resolution_escalation < 2)
            )
        )
    )
    raised = []
    for row in candidates:
        for step, level in rules.escalations(row, now).items():
            column = getattr(R, f"{step}_escalation")
            if level <= row[f"{step}_escalation"]:
                continue
            async with db.transaction():
                changed = await _raise_level(row["id"], column, level)
                if changed:
                    await alerts.escalated(row, step, level, row[f"{step}_escalation"])
                    raised.append(
                        {"id": row["id"], "number": row["number"], "step": step, "level": level}
                    )
    return raised


async def _raise_level(request_id: int, column, level: int) -> bool:
    """Raise the step's level if it is lower (conditional: a second scheduler run or process
    finds it raised and does nothing)."""
    query = R.select(R.id).where((R.id == request_id) & (column < level))
    if await db.locked(query).first() is None:
        return False
    await R.update({column: level}).where((R.id == request_id) & (column < level))
    return True


async def file_request(actor: Principal, data: NewRequest, photo: Upload | None = None) -> dict:
    """File a request (filing.file_request: the hot path, plain SQL)."""
    from vendorgov.servicedesk import filing

    return await filing.file_request(actor, data, photo)
