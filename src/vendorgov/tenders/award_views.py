"""Award pages (§3, Order 87 Art. 68): the officer awards the next candidate in order, or
records that it is passed over (declined, failed to sign, found ineligible) with the evidence
so the next one may be awarded; after the award, that the winner will not sign, which
withdraws the award and its contract draft. Each asks for confirmation, stating what will
happen."""

from __future__ import annotations

from litestar import Controller, Request, post
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from vendorgov.accounts.auth import allow
from vendorgov.accounts.roles import Role
from vendorgov.errors import InvalidInput
from vendorgov.i18n import _
from vendorgov.tenders import awarding, reawarding
from vendorgov.tenders.forms import ensure_confirmed, refused_shows
from vendorgov.web.forms import Form

OFFICER = allow(Role.procurement)


class AwardPages(Controller):
    path = "/tenders"
    include_in_schema = False

    @post("/{tender_id:int}/award", guards=[OFFICER])
    @refused_shows("/tenders/{tender_id}/results", "award")
    async def award(self, request: Request, tender_id: FromPath[int]) -> Template | Redirect:
        form = await Form.read(request)
        bid_id = form.integer("bid_id")
        form.errors.raise_if_any()
        if bid_id is None:
            raise InvalidInput.single("bid_id", "required", _("Bid: choose the bid to award."))
        await ensure_confirmed(request)
        contract_id = await awarding.award(request.user, tender_id, bid_id, form.text("reason"))
        flash(
            request,
            _(
                "Awarded: a draft contract was created with the tender's scope, the winning "
                "price and the SLA template. Review it, then sign."
            ),
            category="ok",
        )
        return Redirect(f"/contracts/{contract_id}")

    @post("/{tender_id:int}/pass-over", guards=[OFFICER])
    @refused_shows("/tenders/{tender_id}/results", "pass_over")
    async def pass_over(self, request: Request, tender_id: FromPath[int]) -> Template | Redirect:
        form = await Form.read(request)
        bid_id = form.integer("bid_id")
        form.errors.raise_if_any()
        if bid_id is None:
            raise InvalidInput.single(
                "bid_id", "required", _("Candidate: choose the candidate passed over.")
            )
        await ensure_confirmed(request)
        done = await awarding.pass_over(
            request.user, tender_id, bid_id, form.text("ground"), form.text("evidence")
        )
        flash(
            request,
            _(
                "Candidate %(n)s (%(vendor)s) is recorded as passed over; the next candidate "
                "may now be awarded.",
                n=done["position"],
                vendor=done["vendor_name"],
            ),
            category="ok",
        )
        return Redirect(f"/tenders/{tender_id}/results#award")

    @post("/{tender_id:int}/withdraw-award", guards=[OFFICER])
    @refused_shows("/tenders/{tender_id}/results", "withdraw_award")
    async def withdraw_award(
        self, request: Request, tender_id: FromPath[int]
    ) -> Template | Redirect:
        form = await Form.read(request)
        bid_id = form.integer("bid_id")
        form.errors.raise_if_any()
        if bid_id is None:
            raise InvalidInput.single("bid_id", "required", _("Bid: choose the awarded bid."))
        await ensure_confirmed(request)
        done = await reawarding.withdraw_award(
            request.user, tender_id, bid_id, form.text("ground"), form.text("evidence")
        )
        nxt = done["next"]
        flash(
            request,
            _(
                "The award to candidate %(n)s (%(vendor)s) is withdrawn and its contract draft "
                "removed; candidate %(m)s (%(next)s) may now be awarded.",
                n=done["position"],
                vendor=done["vendor_name"],
                m=nxt["candidate"],
                next=nxt["vendor_name"],
            )
            if nxt
            else _(
                "The award to candidate %(n)s (%(vendor)s) is withdrawn; no candidate is "
                "left: fail the tender and run it again.",
                n=done["position"],
                vendor=done["vendor_name"],
            ),
            category="ok",
        )
        return Redirect(f"/tenders/{tender_id}/results#award")
