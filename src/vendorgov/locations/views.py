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
from vendorgov.i18n import _
from vendorgov.locations import documents, rules, service
from vendorgov.web.forms import Form

READERS = allow(*service.READERS)
KEEPERS = allow(*service.KEEPERS)


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
                "columns": [rules.HEADERS[c] for c in rules.COLUMNS],
                "q": q,
                "under": under,
                "inactive": inactive,
                "can_edit": request.user.role in service.KEEPERS,
            },
        )

    @post("/locations", guards=[KEEPERS])
    async def create(self, request: Request) -> Redirect:
        form = await Form.read(request)
        parent_id = form.integer("parent_id")
        form.errors.raise_if_any()
        await service.create(
            request.user,
            form.text("kind"),
            form.text("name"),
            form.text("code"),
            parent_id,
            form.text("pinyin"),
        )
        flash(request, _("Place added."), category="ok")
        return Redirect("/locations")

    @post("/locations/{location_id:int}", guards=[KEEPERS])
    async def change(self, request: Request, location_id: FromPath[int]) -> Redirect:
        form = await Form.read(request)
        change = service.Change(
            name=form.text("name") if "name" in form.data else None,
            pinyin=form.text("pinyin") if "pinyin" in form.data else None,
            parent_id=form.integer("parent_id"),
            active={"deactivate": False, "activate": True}.get(form.text("action")),
        )
        form.errors.raise_if_any()
        await service.update(request.user, location_id, change)
        flash(request, _("Place saved."), category="ok")
        return Redirect("/locations")

    @post("/locations/import", guards=[KEEPERS])
    async def import_tree(self, request: Request) -> Redirect:
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InvalidInput.single("file", "required", _("File: choose a CSV or XLSX file."))
        done = await service.import_tree(request.user, upload.filename, await upload.read())
        flash(
            request,
            _(
                "%(created)s places added, %(updated)s updated.",
                created=done.created,
                updated=done.updated,
            ),
            category="ok",
        )
        return Redirect("/locations")

    @get("/locations/qr.pdf", guards=[KEEPERS])
    async def qr_sheet(self, request: Request, under: FromQuery[int | None] = None) -> Response:
        places = await service.tree(request.user, under=under)
        pdf = await documents.qr_sheet(places, str(request.base_url))
        return download(pdf, "location-qr.pdf", "application/pdf", inline=True)
