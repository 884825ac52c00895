"""Re-award page step (Order 87 Art. 68): after the award, the officer records that the winner
declined, failed to sign or was found ineligible; the award and its contract draft are
withdrawn and the next candidate may be awarded (the award form of the results page)."""

from __future__ import annotations

from litestar import Controller, Request, post
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from vendorgov.accounts.auth import allow
from vendorgov.accounts.roles import Role
from vendorgov.errors import InvalidInput
from vendorgov.i18n import _
from vendorgov.tenders import reawarding
from vendorgov.tenders.forms import Refusal, ensure_confirmed, refused_shows
from vendorgov.tenders.views import TenderPages
from vendorgov.web.forms import Form

OFFICER = allow(Role.procurement)


class ReawardPages(Controller):
    path = "/tenders"
    include_in_schema = False

    async def _results_page(
        self, request: Request, tender_id: int, refusal: Refusal | None = None
    ) -> Template:
        return await TenderPages._results_page(self, request, tender_id, refusal)  # type: ignore[arg-type]

    @post("/{tender_id:int}/withdraw-award", guards=[OFFICER])
    @refused_shows("_results_page", "withdraw_award")
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
