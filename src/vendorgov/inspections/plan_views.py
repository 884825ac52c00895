"""Pages of inspection plans: draw a month's plan, see its items, assign them, start one."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from vendorgov.accounts import service as accounts
from vendorgov.accounts.auth import allow
from vendorgov.contracts import service as contracts
from vendorgov.errors import InvalidInput
from vendorgov.inspections import plans

PLANNERS = allow(*plans.PLANNERS)


def _optional_int(form, field: str) -> int | None:
    text = str(form.get(field, "")).strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise InvalidInput.single(field, "number", "is not a number") from None


class PlanPages(Controller):
    include_in_schema = False

    @get("/inspection-plans", guards=[PLANNERS])
    async def index(self, request: Request) -> Template:
        return Template(
            "inspections/plans.html",
            context={
                "plans": await plans.list_plans(request.user),
                "contracts": [
                    c
                    for c in await contracts.list_contracts(request.user)
                    if c["effective_status"] in ("active", "suspended")
                ],
            },
        )

    @post("/inspection-plans", guards=[PLANNERS])
    async def create(self, request: Request) -> Redirect:
        form = await request.form()
        contract_id = _optional_int(form, "contract_id")
        if contract_id is None:
            raise InvalidInput.single("contract_id", "required", "choose a contract")
        done = await plans.create_plan(
            request.user,
            contract_id,
            str(form.get("month", "")),
            _optional_int(form, "spot_checks"),
            str(form.get("seed", "")).strip(),
        )
        if not done.created:
            flash(request, "That month already has its plan.", category="info")
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
        form = await request.form()
        item = await plans.assign(request.user, item_id, _optional_int(form, "assignee_id"))
        flash(request, "Assigned." if item["assignee"] else "Unassigned.", category="ok")
        return Redirect(f"/inspection-plans/{item['plan']}")
