"""Who am I: lets an integration check its token."""

from __future__ import annotations

import msgspec
from litestar import Controller, Request, get

from vendorgov.accounts.auth import EVERY_ROLE, allow


class MeOut(msgspec.Struct):
    user_id: int
    username: str
    display_name: str
    role: str
    vendor_id: int | None


class AccountApi(Controller):
    path = "/api/me"
    tags = ["accounts"]

    @get("/", guards=[allow(*EVERY_ROLE)], summary="The account the token belongs to")
    async def me(self, request: Request) -> MeOut:
        p = request.user
        return MeOut(
            user_id=p.user_id,
            username=p.username,
            display_name=p.display_name,
            role=p.role.value,
            vendor_id=p.vendor_id,
        )
