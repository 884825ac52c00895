"""JSON API of inspection plans."""

from __future__ import annotations

from datetime import date, datetime

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from vendorgov.accounts.auth import allow
from vendorgov.inspections import plans
from vendorgov.paging import PageRequest

PLANNERS = allow(*plans.PLANNERS)


class PlanIn(msgspec.Struct):
    contract_id: int
    month: str  # YYYY-MM
    spot_checks: int | None = None  # default: the contract's last plan's, else the setting
    seed: str = ""  # default: a new random seed (stored with the plan)


class PlannedOut(msgspec.Struct):
    id: int
    created: bool


class AssignIn(msgspec.Struct):
    assignee_id: int | None


def _plain(value):
    return msgspec.to_builtins(value, builtin_types=(datetime, date))


class PlanApi(Controller):
    path = "/api/inspection-plans"
    tags = ["inspections"]

    @post(
        "/",
        guards=[PLANNERS],
        status_code=HTTP_201_CREATED,
        summary="Draw a contract's inspection plan for a month (the existing one if there is)",
    )
    async def create(self, request: Request, data: JSONBody[PlanIn]) -> PlannedOut:
        done = await plans.create_plan(
            request.user, data.contract_id, data.month, data.spot_checks, data.seed
        )
        return PlannedOut(done.plan_id, done.created)

    @get(
        "/",
        guards=[PLANNERS],
        summary="Inspection plans, a page of them, latest month first; filtered by contract "
        "and month, searched by contract number and vendor name",
    )
    async def plans(
        self,
        request: Request,
        paging: PageRequest,
        contract_id: FromQuery[int | None] = None,
        month: FromQuery[str] = "",
        q: FromQuery[str] = "",
    ) -> dict:
        page = await plans.plan_page(
            request.user, contract_id=contract_id, month=month, q=q, request=paging
        )
        return page.as_json(_plain)

    @get("/due", guards=[PLANNERS], summary="My pending plan items due within a week or overdue")
    async def due(self, request: Request) -> list[dict]:
        return [_plain(i) for i in await plans.due_items(request.user)]

    @get("/{plan_id:int}", guards=[PLANNERS], summary="A plan with its items")
    async def plan(self, request: Request, plan_id: FromPath[int]) -> dict:
        return _plain(await plans.get_plan(request.user, plan_id))

    @post(
        "/items/{item_id:int}/assign",
        guards=[PLANNERS],
        status_code=HTTP_200_OK,
        summary="Assign a pending plan item to a supervisor (null: unassign)",
    )
    async def assign(
        self, request: Request, item_id: FromPath[int], data: JSONBody[AssignIn]
    ) -> dict:
        return _plain(await plans.assign(request.user, item_id, data.assignee_id))
