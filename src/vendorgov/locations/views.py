"""The location tree page (search, add, rename, move, deactivate, import) and its QR sheet."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from vendorgov.accounts.auth import allow
from vendorgov.errors import InvalidInput
from vendorgov.files.responses import download
from vendorgov.locations import documents, rules, service

READERS = allow(*service.READERS)
KEEPERS = allow(*service.KEEPERS)


def _optional_int(form, field: str) -> int | None:
    text = str(form.get(field, "")).strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise InvalidInput.single(field, "number", "choose a place") from None


class LocationPages(Controller):
    include_in_schema = False

    @get("/locations", guards=[READERS])
    async def index(
        self,
        request: Request,
        q: FromQuery[str] = "",
        under: FromQuery[int | None] = None,
        inactive: FromQuery[bool] = False,
    ) -> Template:
        places = await service.tree(request.user, q, under, inactive)
        every = await service.tree(request.user)
        return Template(
            "locations/index.html",
            context={
                "places": places,
                "parents": {kind: [p for p in every if p["kind"] == kind] for kind in rules.LEVELS},
                "levels": rules.LEVELS,
                "columns": rules.COLUMNS,
                "q": q,
                "under": under,
                "inactive": inactive,
                "can_edit": request.user.role in service.KEEPERS,
            },
        )

    @post("/locations", guards=[KEEPERS])
    async def create(self, request: Request) -> Redirect:
        form = await request.form()
        await service.create(
            request.user,
            str(form.get("kind", "")),
            str(form.get("name", "")),
            str(form.get("code", "")),
            _optional_int(form, "parent_id"),
            str(form.get("pinyin", "")),
        )
        flash(request, "Place added.", category="ok")
        return Redirect("/locations")

    @post("/locations/{location_id:int}", guards=[KEEPERS])
    async def change(self, request: Request, location_id: FromPath[int]) -> Redirect:
        form = await request.form()
        action = str(form.get("action", "save"))
        change = service.Change(
            name=str(form["name"]) if "name" in form else None,
            pinyin=str(form["pinyin"]) if "pinyin" in form else None,
            parent_id=_optional_int(form, "parent_id"),
            active={"deactivate": False, "activate": True}.get(action),
        )
        await service.update(request.user, location_id, change)
        flash(request, "Place saved.", category="ok")
        return Redirect("/locations")

    @post("/locations/import", guards=[KEEPERS])
    async def import_tree(self, request: Request) -> Redirect:
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InvalidInput.single("file", "required", "choose a CSV or XLSX file")
        done = await service.import_tree(request.user, upload.filename, await upload.read())
        flash(request, f"{done.created} places added, {done.updated} updated.", category="ok")
        return Redirect("/locations")

    @get("/locations/qr.pdf", guards=[KEEPERS])
    async def qr_sheet(self, request: Request, under: FromQuery[int | None] = None) -> Response:
        places = await service.tree(request.user, under=under)
        pdf = documents.qr_sheet(places, str(request.base_url))
        return download(pdf, "location-qr.pdf", "application/pdf", inline=True)
