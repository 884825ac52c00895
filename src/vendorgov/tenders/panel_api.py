"""JSON API for the panel's make-up (§3): the experts' pools per category, the random draw of
experts, replacements for members who left, the draws' record."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK

from vendorgov.accounts.auth import allow
from vendorgov.accounts.roles import Role
from vendorgov.tenders import panel

OFFICERS = allow(Role.procurement)
STAFF = allow(Role.admin, Role.procurement)


class PoolEntryIn(msgspec.Struct):
    category: str
    evaluator_id: int


class DrawIn(msgspec.Struct):
    count: int


class ChangedOut(msgspec.Struct):
    changed: bool


class DrawOut(msgspec.Struct):
    seed: str
    drawn: list[int]
    usernames: list[str]


def _plain(value):
    return msgspec.to_builtins(
        value, builtin_types=(Decimal, datetime, date), order="deterministic"
    )


class PanelApi(Controller):
    path = "/api"
    tags = ["tenders"]

    @get("/expert-pool", guards=[STAFF], summary="A service category's experts' pool")
    async def pool(self, request: Request, category: FromQuery[str]) -> list[dict]:
        return _plain(await panel.pool(request.user, category))

    @post(
        "/expert-pool",
        guards=[OFFICERS],
        status_code=HTTP_200_OK,
        summary="Put an evaluator account in a category's pool (again: no change)",
    )
    async def add(self, request: Request, data: JSONBody[PoolEntryIn]) -> ChangedOut:
        return ChangedOut(await panel.add_to_pool(request.user, data.category, data.evaluator_id))

    @post(
        "/expert-pool/remove",
        guards=[OFFICERS],
        status_code=HTTP_200_OK,
        summary="Take an evaluator account out of a category's pool",
    )
    async def remove(self, request: Request, data: JSONBody[PoolEntryIn]) -> ChangedOut:
        return ChangedOut(
            await panel.remove_from_pool(request.user, data.category, data.evaluator_id)
        )

    @get(
        "/tenders/{tender_id:int}/draws",
        guards=[STAFF],
        summary="The tender's draws of experts: seed, pool, excluded, drawn, replacements",
    )
    async def draws(self, request: Request, tender_id: FromPath[int]) -> list[dict]:
        return _plain(await panel.draws(request.user, tender_id))

    @post(
        "/tenders/{tender_id:int}/draws",
        guards=[OFFICERS],
        status_code=HTTP_200_OK,
        summary="Draw experts at random from the category's pool (once per tender)",
    )
    async def draw(
        self, request: Request, tender_id: FromPath[int], data: JSONBody[DrawIn]
    ) -> DrawOut:
        result = await panel.draw_experts(request.user, tender_id, data.count)
        return DrawOut(**result)

    @post(
        "/tenders/{tender_id:int}/panel/{member_id:int}/replacement",
        guards=[OFFICERS],
        status_code=HTTP_200_OK,
        summary="Draw a replacement for an expert who declared a conflict of interest",
    )
    async def replace(
        self, request: Request, tender_id: FromPath[int], member_id: FromPath[int]
    ) -> DrawOut:
        result = await panel.draw_replacement(request.user, tender_id, member_id)
        return DrawOut(**result)
