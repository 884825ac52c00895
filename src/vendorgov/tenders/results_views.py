"""A tender's results pages (§3a): the result notice (published by the officer, with a
confirmation, within 2 working days of the award), the award notice, challenges (filed by the
bidders, answered by the officer with a confirmation) and the bid-security ledger with the
overdue refunds."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from vendorgov.accounts.auth import allow
from vendorgov.accounts.roles import Role
from vendorgov.errors import Conflict
from vendorgov.files.responses import download
from vendorgov.i18n import _
from vendorgov.paging import PageRequest
from vendorgov.tenders import challenges, common, deposits, reading, results
from vendorgov.tenders.forms import ensure_confirmed, form_state, refused_shows
from vendorgov.web.forms import Form

READ = allow(Role.admin, Role.procurement, Role.vendor, Role.evaluator)
STAFF = allow(Role.admin, Role.procurement)
OFFICER = allow(Role.procurement)
VENDOR = allow(Role.vendor)
WINNER_OR_OFFICER = allow(Role.procurement, Role.vendor)


class ResultPages(Controller):
    path = "/tenders"
    include_in_schema = False

    # --- the result notice and its challenges ----------------------------------------------

    @get("/{tender_id:int}/notice", guards=[READ])
    async def notice(self, request: Request, tender_id: FromPath[int]) -> Template:
        state = form_state(request)
        user = request.user
        tender = await reading.get_tender(user, tender_id)
        try:
            notice = await results.notice(user, tender_id)
        except Conflict:
            notice = None
        context: dict[str, Any] = {
            "tender": tender,
            "notice": notice,
            "is_officer": user.role is Role.procurement,
            "challenges": [],
            "period": None,
            "can_file": False,
            **state,
        }
        if notice and notice["published"] and (user.is_vendor or user.role in common.STAFF):
            context["challenges"] = await challenges.of_tender(user, tender_id)
            context["period"] = await challenges.period(tender_id)
            my_bid = tender.get("my_bid") or {}
            context["can_file"] = (
                user.is_vendor and my_bid.get("state") == "active" and context["period"]["open"]
            )
            context["is_winner"] = bool(tender.get("you_won"))
        return Template(
            "tenders/notice.html",
            context=context,
        )

    @post("/{tender_id:int}/notice", guards=[OFFICER])
    @refused_shows("/tenders/{tender_id}/notice", "publish")
    async def publish(self, request: Request, tender_id: FromPath[int]) -> Template | Redirect:
        await ensure_confirmed(request)
        await results.publish(request.user, tender_id)
        flash(
            request,
            _("Result notice published; the award notice went to the winner."),
            category="ok",
        )
        return Redirect(f"/tenders/{tender_id}/notice")

    @get("/{tender_id:int}/notice.pdf", guards=[READ])
    async def notice_pdf(self, request: Request, tender_id: FromPath[int]) -> Response[bytes]:
        view = await results.notice(request.user, tender_id)
        if not view["published"]:
            raise Conflict(_("The result notice is not published yet."))
        body, name = await results.notice_pdf(view)
        return download(body, name, "application/pdf", inline=True)

    @get("/{tender_id:int}/award-notice.pdf", guards=[WINNER_OR_OFFICER])
    async def award_notice_pdf(self, request: Request, tender_id: FromPath[int]) -> Response[bytes]:
        view = await results.award_notice(request.user, tender_id)
        body, name = await results.award_notice_pdf(view)
        return download(body, name, "application/pdf", inline=True)

    @post("/{tender_id:int}/challenges", guards=[VENDOR])
    @refused_shows("/tenders/{tender_id}/notice", "challenge")
    async def file(self, request: Request, tender_id: FromPath[int]) -> Template | Redirect:
        form = await Form.read(request)
        await challenges.file(request.user, tender_id, form.text("grounds"))
        flash(request, _("Challenge filed. The officer answers within 7 working days."), "ok")
        return Redirect(f"/tenders/{tender_id}/notice#challenges")

    @post("/{tender_id:int}/challenges/{challenge_id:int}/answer", guards=[OFFICER])
    @refused_shows("/tenders/{tender_id}/notice", "answer-{challenge_id}")
    async def answer(
        self, request: Request, tender_id: FromPath[int], challenge_id: FromPath[int]
    ) -> Template | Redirect:
        form = await Form.read(request)
        await ensure_confirmed(request)
        await challenges.answer(request.user, challenge_id, form.text("answer"))
        flash(request, _("Answer sent to the bidder."), category="ok")
        return Redirect(f"/tenders/{tender_id}/notice#challenge-{challenge_id}")

    # --- bid security ----------------------------------------------------------------------

    @get("/{tender_id:int}/deposits", guards=[STAFF])
    async def deposits(self, request: Request, tender_id: FromPath[int]) -> Template:
        state = form_state(request)
        user = request.user
        tender = await reading.get_tender(user, tender_id)
        return Template(
            "tenders/deposits.html",
            context={
                "tender": tender,
                "ledger": await deposits.ledger(user, tender_id),
                "is_officer": user.role is Role.procurement,
                "today": results.today(),
                **state,
            },
        )

    @post("/{tender_id:int}/deposits", guards=[OFFICER])
    @refused_shows("/tenders/{tender_id}/deposits", "deposit")
    async def record(self, request: Request, tender_id: FromPath[int]) -> Template | Redirect:
        form = await Form.read(request)
        vendor_id = form.integer("vendor_id")
        amount = form.decimal("amount")
        received_on = form.date("received_on")
        form.errors.raise_if_any()
        await deposits.record(
            request.user, tender_id, vendor_id, amount, received_on, form.text("reference")
        )
        flash(request, _("Deposit recorded."), category="ok")
        return Redirect(f"/tenders/{tender_id}/deposits")

    @post("/{tender_id:int}/deposits/{vendor_id:int}/refund", guards=[OFFICER])
    @refused_shows("/tenders/{tender_id}/deposits", "refund-{vendor_id}")
    async def refund(
        self, request: Request, tender_id: FromPath[int], vendor_id: FromPath[int]
    ) -> Template | Redirect:
        form = await Form.read(request)
        refunded_on = form.date("refunded_on")
        form.errors.raise_if_any()
        await deposits.refund(
            request.user, tender_id, vendor_id, refunded_on, form.text("reference")
        )
        flash(request, _("Refund recorded."), category="ok")
        return Redirect(f"/tenders/{tender_id}/deposits")

    @get("/challenges", guards=[STAFF])
    async def challenge_list(
        self, request: Request, paging: PageRequest, status: FromQuery[str] = "open"
    ) -> Template:
        if status not in challenges.STATES:
            status = ""
        return Template(
            "tenders/challenges.html",
            context={
                "page": await challenges.challenge_page(request.user, status, paging),
                "status": status,
            },
        )

    @get("/deposits/overdue", guards=[STAFF])
    async def overdue(self, request: Request, paging: PageRequest) -> Template:
        return Template(
            "tenders/deposits_overdue.html",
            context={"page": await deposits.overdue_page(request.user, paging)},
        )
