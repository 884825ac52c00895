"""Challenges (质疑, §3a): a bidder files one within 7 working days of the result notice; the
procurement officer answers within 7 working days of its filing; while any is open the
contract the award created cannot be signed (a signing blocker registered with contracts).

A bidder may file several challenges (on different grounds); the same grounds sent again
while the first is open return the first (a double click files once). Vendors see only their
own challenges; another vendor's are not found (404)."""

from __future__ import annotations

from datetime import date

from vendorgov import db, paging
from vendorgov.accounts.roles import Principal
from vendorgov.audit import service as audit
from vendorgov.contracts import hooks
from vendorgov.errors import Conflict, Forbidden, InvalidInput, NotFound
from vendorgov.humane import status_label
from vendorgov.i18n import N_, _
from vendorgov.paging import Page, PageRequest
from vendorgov.tenders import alerts, common
from vendorgov.tenders import result_rules as deadlines
from vendorgov.tenders.result_dates import calendar_from, local_day, today
from vendorgov.tenders.tables import Bid, Challenge, ResultNotice

MIN_GROUNDS = 10
MAX_TEXT = 4000

# The fields a challenge is written in, as their messages name them.
_LABELS = {"grounds": N_("Grounds"), "answer": N_("Answer")}


def _text(field: str, text: str, minimum: int) -> str:
    text = (text or "").strip()
    if not minimum <= len(text) <= MAX_TEXT:
        raise InvalidInput.single(
            field,
            "length",
            _(
                "%(label)s: between %(min)s and %(max)s characters.",
                label=_(_LABELS.get(field, field)),
                min=minimum,
                max=MAX_TEXT,
            ),
        )
    return text


def _view(row: dict, today_: date) -> dict:
    return {
        "id": row["id"],
        "tender_id": row["tender"],
        "vendor_name": row.get("vendor_name", ""),
        "grounds": row["grounds"],
        "filed_at": row["filed_at"],
        "filed_by": row["filed_by"],
        "answer_due": row["answer_due"],
        "status": row["status"],
        "answer": row["answer"],
        "answered_at": row["answered_at"],
        "answered_by": row["answered_by"],
        "overdue": deadlines.is_overdue(row["answer_due"], today_, row["status"] != "open"),
    }


def _select():
    return Challenge.select(Challenge.all_columns(), Challenge.vendor.name.as_alias("vendor_name"))


async def _one(challenge_id: int) -> dict | None:
    return await _select().where(Challenge.id == challenge_id).first()


async def period(tender_id: int) -> dict | None:
    """The challenge period: from the result notice to its 7th working day (None before the
    notice)."""
    notice = (
        await ResultNotice.select(ResultNotice.published_at)
        .where((ResultNotice.tender == tender_id) & ResultNotice.withdrawn_at.is_null())
        .first()
    )
    if notice is None:
        return None
    day = local_day(notice["published_at"])
    deadline = deadlines.challenge_deadline(day, await calendar_from(day))
    return {"notice_on": day, "deadline": deadline, "open": today() <= deadline}


async def _ensure_bidder(principal: Principal, tender_id: int) -> None:
    if not await Bid.exists().where(
        (Bid.tender == tender_id) & (Bid.vendor == principal.vendor_id) & (Bid.state == "active")
    ):
        raise NotFound(N_("bid of your company on tender"), tender_id)


async def file(actor: Principal, tender_id: int, grounds: str) -> dict:
    """A bidder's challenge, within 7 working days of the result notice (later: 422 naming
    the deadline). The officers are told."""
    if not actor.is_vendor:
        raise Forbidden(_("Challenges are filed by the bidders."))
    row = await common.tender_row(tender_id)
    await common.ensure_reader(actor, row)
    await _ensure_bidder(actor, tender_id)
    grounds = _text("grounds", grounds, MIN_GROUNDS)
    async with db.transaction():
        row = await common.tender_row(tender_id, lock=True)
        same = (
            await _select()
            .where(
                (Challenge.tender == tender_id)
                & (Challenge.vendor == actor.vendor_id)
                & (Challenge.grounds == grounds)
                & (Challenge.status == "open")
            )
            .first()
        )
        if same is not None:
            return _view(same, today())
        window = await period(tender_id)
        if window is None:
            raise Conflict(_("Challenges can be filed once the result notice is published."))
        now_day = today()
        if not window["open"]:
            raise InvalidInput.single(
                "grounds",
                "challenge_period",
                _(
                    "Grounds: challenges could be filed until %(deadline)s, 7 working days "
                    "after the result notice of %(notice_on)s (§3a); it is too late now.",
                    deadline=window["deadline"].isoformat(),
                    notice_on=window["notice_on"].isoformat(),
                ),
            )
        due = deadlines.answer_due(now_day, await calendar_from(now_day))
        challenge = Challenge(
            tender=tender_id,
            vendor=actor.vendor_id,
            grounds=grounds,
            filed_at=common.now(),
            filed_by=actor.username,
            answer_due=due,
            status="open",
        )
        await challenge.save()
        await audit.record(
            actor,
            "challenge",
            challenge.id,
            "file",
            None,
            {"tender": tender_id, "vendor": actor.vendor_id, "answer_due": due},
        )
        await alerts.challenge_filed(row, challenge.id, due)
        created = await _one(challenge.id)
    return _view(created, today())


async def answer(actor: Principal, challenge_id: int, text: str) -> dict:
    """The officer's answer, once: the same answer again changes nothing; another is refused
    (409) — of two officers answering at the same moment one wins. The bidder is told."""
    common.ensure_officer(actor)
    text = _text("answer", text, 5)
    found = await Challenge.select(Challenge.tender).where(Challenge.id == challenge_id).first()
    if found is None:
        raise NotFound(N_("challenge"), challenge_id)
    async with db.transaction():
        row = await common.tender_row(found["tender"], lock=True)
        current = await _one(challenge_id)
        if current["status"] != "open":
            if current["answer"] == text:
                return _view(current, today())
            raise Conflict(
                _(
                    "Challenge %(id)s was answered already, %(at)s; the answer stands.",
                    id=challenge_id,
                    at=common.local(current["answered_at"]).strftime("%Y-%m-%d %H:%M"),
                )
            )
        now = common.now()
        await Challenge.update(
            {
                Challenge.status: "answered",
                Challenge.answer: text,
                Challenge.answered_at: now,
                Challenge.answered_by: actor.username,
            }
        ).where((Challenge.id == challenge_id) & (Challenge.status == "open"))
        await audit.record(
            actor,
            "challenge",
            challenge_id,
            "answer",
            {"status": "open"},
            {"status": "answered", "late": today() > current["answer_due"]},
        )
        await alerts.challenge_answered(row, challenge_id, current["vendor"])
        answered = await _one(challenge_id)
    return _view(answered, today())


async def of_tender(principal: Principal, tender_id: int) -> list[dict]:
    """The tender's challenges, oldest first: all of them for staff, a vendor its own."""
    row = await common.tender_row(tender_id)
    await common.ensure_reader(principal, row)
    query = _select().where(Challenge.tender == tender_id)
    if principal.is_vendor:
        query = query.where(Challenge.vendor == principal.vendor_id)
    elif principal.role not in common.STAFF:
        raise Forbidden(_("Challenges are read by the procurement staff and their bidder."))
    now_day = today()
    return [_view(r, now_day) for r in await query.order_by(Challenge.id)]


async def get(principal: Principal, challenge_id: int) -> dict:
    row = await _one(challenge_id)
    if row is None or (principal.is_vendor and row["vendor"] != principal.vendor_id):
        raise NotFound(N_("challenge"), challenge_id)
    if not principal.is_vendor and principal.role not in common.STAFF:
        raise Forbidden(_("Challenges are read by the procurement staff and their bidder."))
    return _view(row, today())


STATES = ("open", "answered")
SORTS = {"answer_due": Challenge.answer_due, "filed_at": Challenge.filed_at}


async def challenge_page(
    principal: Principal, status: str = "open", request: PageRequest = PageRequest()
) -> Page:
    """Every tender's challenges for the procurement staff, by answer due day (the open
    ones by default: the overdue come first)."""
    if principal.role not in common.STAFF:
        raise Forbidden(_("The list of challenges is for the procurement staff."))
    if status and status not in STATES:
        raise InvalidInput.single(
            "status",
            "one_of",
            _(
                "Status: choose %(open)s or %(answered)s, or leave it empty for all.",
                open=status_label("open"),
                answered=status_label("answered"),
            ),
        )
    query = Challenge.select(
        Challenge.all_columns(),
        Challenge.vendor.name.as_alias("vendor_name"),
        Challenge.tender.reference.as_alias("tender_reference"),
        Challenge.tender.title.as_alias("tender_title"),
    )
    where = [Challenge.status == status] if status else []
    page = await paging.fetch_page(
        Challenge, query, where, request, SORTS, [(Challenge.answer_due, True)]
    )
    now_day = today()
    page.items = [
        {
            **_view(r, now_day),
            "tender_reference": r["tender_reference"],
            "tender_title": r["tender_title"],
        }
        for r in page.items
    ]
    return page


async def _open_challenge_blocks(contract: dict) -> str | None:
    """Signing blocker: the contract an award created is not signed while a challenge of
    that tender is open. Takes the tender's lock, so a challenge filed at the same moment
    is either seen here or filed after the signature."""
    tender_id = contract.get("tender_id")
    if not tender_id:
        return None
    try:
        await common.tender_row(tender_id, lock=True)
    except NotFound:
        return None
    open_ = (
        await _select()
        .where((Challenge.tender == tender_id) & (Challenge.status == "open"))
        .order_by(Challenge.id)
        .first()
    )
    if open_ is None:
        return None
    return (
        f"challenge: challenge {open_['id']} by {open_['vendor_name']}, filed "
        f"{local_day(open_['filed_at']).isoformat()}, is open; the contract cannot be signed "
        f"until it is answered (due {open_['answer_due'].isoformat()}, §3a)"
    )


hooks.register_signing_blocker("tenders.open_challenge", _open_challenge_blocks)
