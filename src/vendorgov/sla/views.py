"""SLA pages: a contract's scorecard (vendors see their own) and an event's details."""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from vendorgov.accounts.auth import allow
from vendorgov.accounts.roles import Role
from vendorgov.charts import Series, line_chart
from vendorgov.contracts.rules import CLAUSE_KINDS, ClauseKind
from vendorgov.errors import InvalidInput
from vendorgov.settings import get_settings
from vendorgov.sla import service
from vendorgov.sla.measure import Month

READERS = allow(Role.admin, Role.procurement, Role.supervisor, Role.finance, Role.vendor)
COMPUTERS = (Role.admin, Role.procurement, Role.supervisor, Role.finance)


def _month_or_previous(text: str) -> Month:
    if text:
        try:
            return Month.parse(text)
        except ValueError as error:
            raise InvalidInput.single("month", "format", str(error)) from None
    today = datetime.now(get_settings().zone).date()
    return Month(today.year, today.month).previous()


class ScorecardPages(Controller):
    include_in_schema = False

    @get("/contracts/{contract_id:int}/scorecard", guards=[READERS])
    async def scorecard(
        self, request: Request, contract_id: FromPath[int], month: FromQuery[str] = ""
    ) -> Template:
        card = await service.scorecard(request.user, contract_id, _month_or_previous(month))
        percent_clauses = [
            c for c in card["clauses"] if CLAUSE_KINDS[ClauseKind(c["kind"])]["unit"] == "%"
        ]
        chart = line_chart(
            card["months"],
            [Series("SLA component", card["components"])]
            + [
                Series(
                    c["code"],
                    [
                        c["by_month"][m]["attained"] if m in c["by_month"] else None
                        for m in card["months"]
                    ],
                )
                for c in percent_clauses[:4]
            ],
            title="SLA component and clause attainment (%)",
        )
        return Template(
            "sla/scorecard.html",
            context={
                **card,
                "chart": chart,
                "clause_kinds": CLAUSE_KINDS,
                "can_compute": request.user.role in COMPUTERS,
            },
        )

    @post("/contracts/{contract_id:int}/scorecard", guards=[allow(*COMPUTERS)])
    async def compute(self, request: Request, contract_id: FromPath[int]) -> Redirect:
        form = await request.form()
        month = _month_or_previous(str(form.get("month", "")))
        outcome = await service.compute_month(request.user, contract_id, month)
        flash(
            request,
            f"{month}: {outcome.events} events measured, SLA component "
            f"{outcome.sla_component if outcome.sla_component is not None else '—'}.",
            category="ok",
        )
        return Redirect(f"/contracts/{contract_id}/scorecard?month={month}")

    @get("/events/{event_id:int}", guards=[READERS])
    async def event(self, request: Request, event_id: FromPath[int]) -> Template:
        return Template(
            "sla/event.html", context={"event": await service.event_detail(request.user, event_id)}
        )
