"""The administrator's audit page and the verification endpoint."""

from __future__ import annotations

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromQuery
from litestar.response import Template

from vendorgov.accounts.auth import allow
from vendorgov.accounts.roles import Role
from vendorgov.audit import service
from vendorgov.errors import InvalidInput

# A checkpoint file is a few hundred bytes; more is not one.
_CHECKPOINT_BYTES = 64 * 1024


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
        return await _page(await service.verify() if verify else None)

    @post("/verify")
    async def verify_with_checkpoint(self, request: Request) -> Template:
        """The same verification as `vendorgov audit verify --checkpoint FILE`."""
        upload = (await request.form()).get("checkpoint")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InvalidInput.single("checkpoint", "required", "choose a checkpoint file")
        text = (await upload.read(_CHECKPOINT_BYTES)).decode(errors="replace")
        checkpoint = service.read_checkpoint(text)
        return await _page(await service.verify(checkpoint), checkpoint)


async def _page(verification: service.Verification | None, checkpoint=None) -> Template:
    return Template(
        "audit/index.html",
        context={
            "verification": verification,
            "checkpoint": checkpoint,
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
