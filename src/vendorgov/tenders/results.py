"""The result notice (中标结果公告) and the award notice (中标通知书), §3a: published by the
officer from the tender's notice page within 2 working days of the award (the due date is
shown, and overdue ones are on the officers' dashboard); its publication issues the award
notice to the winner, starts the challenge period and makes the losing bidders' bid security
due for refund. What the notice says is kept as published."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal

from piccolo.columns.combination import WhereRaw

from vendorgov import db, recorded
from vendorgov.accounts.roles import Principal, Role
from vendorgov.audit import service as audit
from vendorgov.documents import rendered_pdf
from vendorgov.errors import Conflict, Forbidden, NotFound
from vendorgov.humane import status_label
from vendorgov.i18n import N_, _
from vendorgov.paging import DASHBOARD_ITEMS
from vendorgov.settings import get_settings
from vendorgov.tenders import alerts, common, deposits
from vendorgov.tenders import result_rules as deadlines
from vendorgov.tenders.evaluation import evaluate
from vendorgov.tenders.result_dates import calendar_from, local_day, today
from vendorgov.tenders.rules import METHOD_LABELS, Status
from vendorgov.tenders.tables import Bid, BidSecurity, Challenge, ResultNotice, Tender
from vendorgov.vendors import service as vendors
from vendorgov.workdays import service as workdays

# The award notice asks the winner to sign within this many days (政府采购法 Art. 46).
SIGN_WITHIN_DAYS = 30


async def notice_row(tender_id: int) -> dict | None:
    """The notice in force: published and not withdrawn."""
    return (
        await ResultNotice.select()
        .where((ResultNotice.tender == tender_id) & ResultNotice.withdrawn_at.is_null())
        .first()
    )


async def withdrawn_notices(tender_id: int) -> list[dict]:
    """The tender's withdrawn notices, oldest first: when each was published and withdrawn,
    why, and whom it named the winner."""
    rows = (
        await ResultNotice.select()
        .where((ResultNotice.tender == tender_id) & ResultNotice.withdrawn_at.is_not_null())
        .order_by(ResultNotice.id)
    )
    return [
        {
            "published_at": r["published_at"],
            "withdrawn_at": r["withdrawn_at"],
            "reason": recorded.read(r["withdrawn_reason"]),
            "winner": json.loads(r["content"])["winner"]["vendor_name"],
        }
        for r in rows
    ]


async def withdraw_notice(tender_id: int, reason: str) -> dict | None:
    """Inside the re-award's transaction (reawarding.withdraw_award): the notice in force is
    withdrawn, kept with the reason, so that the next award publishes a corrected one. The
    withdrawn notice, or None when none was published."""
    rows = (
        await ResultNotice.update(
            {ResultNotice.withdrawn_at: common.now(), ResultNotice.withdrawn_reason: reason}
        )
        .where((ResultNotice.tender == tender_id) & ResultNotice.withdrawn_at.is_null())
        .returning(ResultNotice.id, ResultNotice.published_at)
    )
    return rows[0] if rows else None


async def _content(row: dict) -> dict:
    """What a notice to publish now says: notice_content, and which withdrawn notice it
    corrects (更正), if any."""
    content = await notice_content(row)
    last = (
        await ResultNotice.select()
        .where((ResultNotice.tender == row["id"]) & ResultNotice.withdrawn_at.is_not_null())
        .order_by(ResultNotice.id, ascending=False)
        .first()
    )
    if last is not None:
        content["corrects"] = {
            "published_at": common.local(last["published_at"]).isoformat(),
            "winner": json.loads(last["content"])["winner"]["vendor_name"],
            "reason": last["withdrawn_reason"],  # a recorded sentence, read when shown
        }
    return content


async def notice_due(row: dict) -> date | None:
    """The last day to publish the result notice: 2 working days after the award."""
    if row["awarded_at"] is None:
        return None
    awarded_on = local_day(row["awarded_at"])
    return deadlines.notice_due(awarded_on, await calendar_from(awarded_on))


async def winner_vendor(row: dict) -> int | None:
    if not row["awarded_bid"]:
        return None
    bid = await Bid.select(Bid.vendor).where(Bid.id == row["awarded_bid"]).first()
    return bid["vendor"] if bid else None


async def notice_content(row: dict) -> dict:
    """What the result notice says (§3a): tender, winner and price, the candidates' ranks and
    totals, the panel's names, the award date. Amounts as text (JSON keeps them exact)."""
    evaluation = await evaluate(row)
    won = next(b for b in evaluation["ranked"] if b["id"] == row["awarded_bid"])
    uscc = (await vendors.standing([won["vendor"]], common.now().date()))[won["vendor"]]["uscc"]

    def amount(value: Decimal | None) -> str | None:
        return None if value is None else str(db.two_places(value))

    return {
        "tender": {
            "reference": row["reference"],
            "title": row["title"],
            "method": row["method"],
            "evaluation_method": row["evaluation_method"],
            "category": row["category"],
            "budget_ceiling": amount(row["budget_ceiling"]),
            "service_start": row["service_start"].isoformat(),
            "service_end": row["service_end"].isoformat(),
        },
        "winner": {
            "vendor_name": won["vendor_name"],
            "uscc": uscc,
            "price": amount(won["price"]),
            "rank": won["rank"],
            "total": amount(won.get("total")),
        },
        "candidates": [
            {
                "candidate": b["candidate"],
                "rank": b["rank"],
                "vendor_name": b["vendor_name"],
                "price": amount(b["price"]),
                "total": amount(b.get("total")),
            }
            for b in evaluation["candidates"]
        ],
        "ranked_count": len(evaluation["ranked"]),
        "panel": [m["display_name"] for m in evaluation["members"]],
        "comprehensive": evaluation["comprehensive"],
        "awarded_at": common.local(row["awarded_at"]).isoformat(),
    }


def _loaded(content: dict) -> dict:
    """The stored content with its amounts as Decimals again, its dates as dates."""
    content = json.loads(json.dumps(content))
    if content.get("corrects"):
        corrected = content["corrects"]
        corrected["published_at"] = datetime.fromisoformat(corrected["published_at"])
        corrected["reason"] = recorded.read(corrected["reason"])
    for part in (content["winner"], *content["candidates"]):
        for key in ("price", "total"):
            if part.get(key) is not None:
                part[key] = Decimal(part[key])
    tender = content["tender"]
    tender["budget_ceiling"] = Decimal(tender["budget_ceiling"])
    tender["service_start"] = date.fromisoformat(tender["service_start"])
    tender["service_end"] = date.fromisoformat(tender["service_end"])
    content["awarded_at"] = datetime.fromisoformat(content["awarded_at"])
    return content


async def _view(row: dict, notice: dict | None) -> dict:
    """The notice as pages, the API and the PDF show it; unpublished, a preview for officers."""
    due = await notice_due(row)
    view = {
        "tender_id": row["id"],
        "published": notice is not None,
        "due": due,
        "overdue": notice is None and deadlines.is_overdue(due, today()),
        "hospital": get_settings().hospital_name,
        "withdrawn": await withdrawn_notices(row["id"]),
    }
    if notice is None:
        view["content"] = _loaded(await _content(row))
        return view
    published_on = local_day(notice["published_at"])
    view.update(
        content=_loaded(json.loads(notice["content"])),
        published_at=notice["published_at"],
        published_by=notice["published_by"],
        late=published_on > due if due else False,
        challenge_deadline=deadlines.challenge_deadline(
            published_on, await calendar_from(published_on)
        ),
    )
    return view


async def notice(principal: Principal, tender_id: int) -> dict:
    """The published result notice, for whoever reads the tender (staff, its bidders, its
    panel); before publication, for procurement officers, a preview with its due date."""
    row = await common.tender_row(tender_id)
    await common.ensure_reader(principal, row)
    published = await notice_row(tender_id)
    if published is None:
        if principal.role is not Role.procurement:
            raise Conflict(_("The result notice is not published yet."))
        if row["status"] != Status.awarded:
            raise Conflict(_("The result notice is published once the tender is awarded."))
    return await _view(row, published)


async def publish(actor: Principal, tender_id: int) -> dict:
    """Publish the result notice and issue the award notice (§3a). Once: publishing again
    returns the notice as first published. The losing bidders' bid security falls due."""
    common.ensure_officer(actor)
    async with db.transaction():
        row = await common.tender_row(tender_id, lock=True)
        existing = await notice_row(tender_id)
        if existing is None:
            if row["status"] != Status.awarded:
                raise Conflict(
                    _(
                        "A tender that is %(status)s has no result to publish; the result "
                        "notice follows the award.",
                        status=status_label(row["status"]),
                    )
                )
            content = await _content(row)
            now = common.now()
            await ResultNotice.insert(
                ResultNotice(
                    tender=tender_id,
                    published_at=now,
                    published_by=actor.username,
                    content=json.dumps(content, ensure_ascii=False),
                )
            )
            winner = await winner_vendor(row)
            await deposits.award_notice_issued(tender_id, winner, now)
            await audit.record(
                actor,
                "tender",
                tender_id,
                "publish_result_notice",
                None,
                {
                    "winner": content["winner"]["vendor_name"],
                    "price": content["winner"]["price"],
                    "candidates": [c["vendor_name"] for c in content["candidates"]],
                    "due": (await notice_due(row)).isoformat(),
                },
            )
            bidders = await Bid.select(Bid.vendor).where(
                (Bid.tender == tender_id) & (Bid.state == "active")
            )
            await alerts.result_published(row, [b["vendor"] for b in bidders])
            existing = await notice_row(tender_id)
    return await _view(row, existing)


async def award_notice(principal: Principal, tender_id: int) -> dict:
    """The award notice (中标通知书): for the winner's users and the procurement officers
    only; another vendor learns nothing of it (404)."""
    row = await common.tender_row(tender_id)
    if principal.is_vendor:
        if principal.vendor_id != await winner_vendor(row):
            raise NotFound(N_("award notice of tender"), tender_id)
    elif principal.role is not Role.procurement:
        raise Forbidden(_("The award notice is for the winner and the procurement officers."))
    published = await notice_row(tender_id)
    if published is None:
        raise Conflict(_("The award notice is issued with the result notice."))
    view = await _view(row, published)
    issued_on = local_day(published["published_at"])
    view["sign_by"] = issued_on + timedelta(days=SIGN_WITHIN_DAYS)
    view["sign_within"] = SIGN_WITHIN_DAYS
    return view


async def notice_pdf(view: dict) -> tuple[bytes, str]:
    method = METHOD_LABELS[view["content"]["tender"]["method"]][0]
    body = await rendered_pdf(
        "documents/result_notice.html", n=view, c=view["content"], method_label=method
    )
    return body, f"{view['content']['tender']['reference']}-result-notice.pdf"


async def award_notice_pdf(view: dict) -> tuple[bytes, str]:
    body = await rendered_pdf("documents/award_notice.html", n=view, c=view["content"])
    return body, f"{view['content']['tender']['reference']}-award-notice.pdf"


async def ocds_notice(tender_id: int) -> dict | None:
    """The published notice's date, for the OCDS award's documents."""
    published = await notice_row(tender_id)
    return {"published_at": published["published_at"]} if published else None


async def reminders(principal: Principal) -> list[dict]:
    """For procurement officers' dashboards, at most DASHBOARD_ITEMS of each kind: result
    notices to publish (with their due day, overdue first), challenges to answer, bid
    security refunds overdue."""
    if principal.role is not Role.procurement:
        return []
    now_day = today()
    items = []
    waiting = (
        await Tender.select()
        .where(
            (Tender.status == Status.awarded.value)
            & WhereRaw(
                "tender.id NOT IN (SELECT result_notice.tender FROM result_notice "
                "WHERE result_notice.withdrawn_at IS NULL)"
            )
        )
        .order_by(Tender.awarded_at)
        .limit(DASHBOARD_ITEMS)
    )
    # One calendar for all of them (one query, whatever the number of tenders).
    days = [local_day(row["awarded_at"]) for row in waiting]
    calendar = None
    if days:
        calendar = await workdays.calendar_for(
            min(days), max(days) + timedelta(days=deadlines.CALENDAR_SPAN_DAYS)
        )
    for row, awarded_on in zip(waiting, days, strict=True):
        due = deadlines.notice_due(awarded_on, calendar)
        what = (
            _("result notice overdue (due %(day)s)", day=due.isoformat())
            if deadlines.is_overdue(due, now_day)
            else _("publish the result notice by %(day)s", day=due.isoformat())
        )
        items.append({"tender": common.decorate(row), "what": what, "link": "notice"})
    challenges = (
        await Challenge.select(Challenge.tender, Challenge.answer_due)
        .where(Challenge.status == "open")
        .order_by(Challenge.answer_due)
        .limit(DASHBOARD_ITEMS)
    )
    overdue_refunds = (
        await BidSecurity.select(BidSecurity.tender, BidSecurity.refund_due)
        .where(BidSecurity.refunded_on.is_null() & (BidSecurity.refund_due < now_day))
        .order_by(BidSecurity.refund_due)
        .limit(DASHBOARD_ITEMS)
    )
    ids = {c["tender"] for c in challenges} | {d["tender"] for d in overdue_refunds}
    rows = {r["id"]: r for r in await Tender.select().where(Tender.id.is_in(list(ids) or [0]))}
    for c in challenges:
        due = c["answer_due"]
        what = (
            _("challenge answer overdue (due %(day)s)", day=due.isoformat())
            if deadlines.is_overdue(due, now_day)
            else _("answer the challenge by %(day)s", day=due.isoformat())
        )
        items.append({"tender": common.decorate(rows[c["tender"]]), "what": what, "link": "notice"})
    seen = set()
    for d in overdue_refunds:
        if d["tender"] in seen:
            continue
        seen.add(d["tender"])
        what = _("bid security refund overdue (due %(day)s)", day=d["refund_due"].isoformat())
        items.append(
            {"tender": common.decorate(rows[d["tender"]]), "what": what, "link": "deposits"}
        )
    return items
