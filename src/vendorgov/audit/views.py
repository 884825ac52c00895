"""The administrator's audit page and the verification endpoint."""

from __future__ import annotations

import msgspec
from litestar import Controller, get
from litestar.params import FromQuery
from litestar.response import Template

from vendorgov.accounts.auth import allow
from vendorgov.accounts.roles import Role
from vendorgov.audit import service


class VerificationOut(msgspec.Struct):
    intact: bool
    checked: int
    first_broken_entry: int | None
    reason: str | None


class AuditPages(Controller):
    path = "/audit"
    include_in_schema = False
    guards = [allow(Role.admin)]

    @get("/")
    async def index(self, verify: FromQuery[bool] = False) -> Template:
        return Template(
            "audit/index.html",
            context={
                "verification": await service.verify() if verify else None,
                "history": await service.recent(100),
            },
        )


class AuditApi(Controller):
    path = "/api/audit"
    tags = ["audit"]
    guards = [allow(Role.admin)]

    @get("/verify", summary="Re-hash the whole trail and report the first broken link")
    async def verify(self) -> VerificationOut:
        result = await service.verify()
        broken = result.first_break
        return VerificationOut(
            intact=result.intact,
            checked=result.checked,
            first_broken_entry=broken.entry_id if broken else None,
            reason=broken.reason if broken else None,
        )
