"""The administrator's audit page and the verification endpoint."""

from __future__ import annotations

import json
from datetime import date

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import Provide
from litestar.params import FromQuery
from litestar.response import Template

from vendorgov.accounts import service as accounts
from vendorgov.accounts.auth import allow
from vendorgov.accounts.roles import Role
from vendorgov.audit import service
from vendorgov.errors import InvalidInput
from vendorgov.files import exports
from vendorgov.files.responses import CSV, download
from vendorgov.paging import PageRequest, export_rows

# A checkpoint file is a few hundred bytes; more is not one.
_CHECKPOINT_BYTES = 64 * 1024
EXPORT_COLUMNS = {
    "id": "id",
    "at": "at",
    "actor": "actor",
    "actor_name": "actor_name",
    "entity": "entity",
    "entity_id": "entity_id",
    "action": "action",
    "changed": "changed",
    "before": "before",
    "after": "after",
    "hash": "hash",
}


class VerificationOut(msgspec.Struct):
    intact: bool
    checked: int
    first_broken_entry: int | None
    reason: str | None


async def trail_filters(
    entity: FromQuery[str] = "",
    entity_id: FromQuery[str] = "",
    actor: FromQuery[str] = "",
    action: FromQuery[str] = "",
    date_from: FromQuery[date | None] = None,
    date_to: FromQuery[date | None] = None,
) -> dict:
    return locals()


class AuditPages(Controller):
    path = "/audit"
    include_in_schema = False
    guards = [allow(Role.admin)]

    @get("/", dependencies={"filters": Provide(trail_filters)})
    async def index(
        self, filters: dict, paging: PageRequest, verify: FromQuery[bool] = False
    ) -> Template:
        return await _page(await service.verify() if verify else None, filters, paging)

    @get("/export.csv", dependencies={"filters": Provide(trail_filters)})
    async def export(self, filters: dict) -> Response[bytes]:
        """The filtered trail (every page) as CSV, each entry's before and after as JSON."""
        rows = await export_rows(service.trail_page, **filters)
        names = await accounts.display_names({r["actor_id"] for r in rows if r["actor_id"]})
        for row in rows:
            row["actor_name"] = names.get(row["actor_id"], row["actor"])
            row["changed"] = ", ".join(name for name, _, _ in row["changes"])
            for side in ("before", "after"):
                row[side] = json.dumps(row[side], ensure_ascii=False, default=str)
        return download(exports.rows_csv(rows, EXPORT_COLUMNS), "audit-trail.csv", CSV)

    @post("/verify")
    async def verify_with_checkpoint(self, request: Request) -> Template:
        """The same verification as `vendorgov audit verify --checkpoint FILE`."""
        upload = (await request.form()).get("checkpoint")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InvalidInput.single("checkpoint", "required", "choose a checkpoint file")
        text = (await upload.read(_CHECKPOINT_BYTES)).decode(errors="replace")
        checkpoint = service.read_checkpoint(text)
        return await _page(
            await service.verify(checkpoint), await trail_filters(), PageRequest(), checkpoint
        )


async def _page(
    verification: service.Verification | None,
    filters: dict,
    paging: PageRequest,
    checkpoint=None,
) -> Template:
    history = await service.trail_page(request=paging, **filters)
    return Template(
        "audit/index.html",
        context={
            "verification": verification,
            "checkpoint": checkpoint,
            "history": history,
            "names": await accounts.display_names(
                {e["actor_id"] for e in history.items if e["actor_id"]}
            ),
            **filters,
        },
    )


class AuditApi(Controller):
    path = "/api/audit"
    tags = ["audit"]
    guards = [allow(Role.admin)]

    @get(
        "/entries",
        summary="The audit trail, newest first, a page of it (next_cursor continues)",
        dependencies={"filters": Provide(trail_filters)},
    )
    async def entries(self, filters: dict, paging: PageRequest) -> dict:
        page = await service.trail_page(request=paging, **filters)
        return page.as_json(
            lambda e: msgspec.to_builtins({**e, "changes": [list(c) for c in e["changes"]]})
        )

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
