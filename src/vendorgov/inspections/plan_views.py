"""Pages of inspection plans: draw a month's plan, see its items, assign them, start one."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from vendorgov.accounts import service as accounts
from vendorgov.accounts.auth import allow
from vendorgov.contracts import service as contracts
from vendorgov.i18n import _
from vendorgov.inspections import plans
from vendorgov.paging import PageRequest
from vendorgov.web.forms import Form

PLANNERS = allow(*plans.PLANNERS)


class PlanPages(Controller):
    include_in_schema = False

    @get("/inspection-plans", guards=[PLANNERS])
    async def index(
        self,
        request: Request,
        paging: PageRequest,
        month: FromQuery[str] = "",
        q: FromQuery[str] = "",
        contract_q: FromQuery[str] = "",
    ) -> Template:
        """The plans a page at a time; the form offers the running contracts matching
        `contract_q` (at most a page of them, never every contract)."""
        return Template(
            "inspections/plans.html",
            context={
                "plans": await plans.plan_page(request.user, month=month, q=q, request=paging),
                "month": month,
                "q": q,
                "contract_q": contract_q,
                "contracts": await contracts.contract_page(
                    request.user, status=contracts.RUNNING, q=contract_q
                ),
            },
        )

    @post("/inspection-plans", guards=[PLANNERS])
    async def create(self, request: Request) -> Redirect:
        form = await Form.read(request)
        contract_id, spot_checks = form.integer("contract_id"), form.integer("spot_checks")
        if contract_id is None:
            form.errors.add("contract_id", "required", _("Contract: choose a contract."))
        form.errors.raise_if_any()
        done = await plans.create_plan(
            request.user, contract_id, form.text("month"), spot_checks, form.text("seed")
        )
        if not done.created:
            flash(request, _("That month already has its plan."), category="info")
        return Redirect(f"/inspection-plans/{done.plan_id}")

    @get("/inspection-plans/{plan_id:int}", guards=[PLANNERS])
    async def show(self, request: Request, plan_id: FromPath[int]) -> Template:
        inspectors = [a for role in plans.PLANNERS for a in await accounts.active_accounts(role)]
        return Template(
            "inspections/plan.html",
            context={"plan": await plans.get_plan(request.user, plan_id), "inspectors": inspectors},
        )

    @post("/inspection-plans/items/{item_id:int}/assign", guards=[PLANNERS])
    async def assign(self, request: Request, item_id: FromPath[int]) -> Redirect:
        form = await Form.read(request)
        assignee_id = form.integer("assignee_id")
        form.errors.raise_if_any()
        item = await plans.assign(request.user, item_id, assignee_id)
        flash(request, _("Assigned.") if item["assignee"] else _("Unassigned."), category="ok")
        return Redirect(f"/inspection-plans/{item['plan']}")
