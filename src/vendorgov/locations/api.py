"""JSON API of the location tree (§8)."""

from __future__ import annotations

from datetime import datetime

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery, JSONBody, MultipartBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from vendorgov.accounts.auth import allow
from vendorgov.locations import service

READERS = allow(*service.READERS)
KEEPERS = allow(*service.KEEPERS)


class LocationIn(msgspec.Struct):
    kind: str
    name: str
    code: str
    parent_id: int | None = None
    pinyin: str = ""


class LocationChange(msgspec.Struct):
    name: str | None = None
    pinyin: str | None = None
    parent_id: int | None = None
    active: bool | None = None


class ImportForm(msgspec.Struct):
    file: UploadFile


class CreatedOut(msgspec.Struct):
    id: int


class ImportedOut(msgspec.Struct):
    created: int
    updated: int


def _plain(row: dict) -> dict:
    return msgspec.to_builtins(row, builtin_types=(datetime,))


class LocationApi(Controller):
    path = "/api/locations"
    tags = ["locations"]

    @get("/", guards=[READERS], summary="Places in tree order (a subtree, a search)")
    async def places(
        self,
        request: Request,
        q: FromQuery[str] = "",
        under: FromQuery[int | None] = None,
        include_inactive: FromQuery[bool] = False,
    ) -> list[dict]:
        return [_plain(r) for r in await service.tree(request.user, q, under, include_inactive)]

    @post("/", guards=[KEEPERS], status_code=HTTP_201_CREATED, summary="Add a place")
    async def create(self, request: Request, data: JSONBody[LocationIn]) -> CreatedOut:
        return CreatedOut(
            await service.create(
                request.user, data.kind, data.name, data.code, data.parent_id, data.pinyin
            )
        )

    @get("/{location_id:int}", guards=[READERS], summary="A place")
    async def place(self, request: Request, location_id: FromPath[int]) -> dict:
        return _plain(await service.get(request.user, location_id))

    @patch(
        "/{location_id:int}",
        guards=[KEEPERS],
        status_code=HTTP_200_OK,
        summary="Rename, move (under a place of the same level as before) or (de)activate",
    )
    async def change(
        self, request: Request, location_id: FromPath[int], data: JSONBody[LocationChange]
    ) -> dict:
        change = service.Change(data.name, data.pinyin, data.parent_id, data.active)
        return _plain(await service.update(request.user, location_id, change))

    @post(
        "/import",
        guards=[KEEPERS],
        status_code=HTTP_200_OK,
        summary="Import the tree from CSV/XLSX (campus, building, floor, area, code, pinyin)",
    )
    async def import_tree(self, request: Request, data: MultipartBody[ImportForm]) -> ImportedOut:
        done = await service.import_tree(
            request.user, data.file.filename or "locations.csv", await data.file.read()
        )
        return ImportedOut(done.created, done.updated)
