"""JSON API of the service centre (§9): file, list and act on requests; the board, the
figures, the caller lookup and the place search; routes and desk duties. Photos travel as
base64 in the JSON body, so one request carries the whole step."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

import msgspec
from litestar import Controller, Request, delete, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from vendorgov.accounts.auth import allow
from vendorgov.accounts.roles import Role
from vendorgov.errors import InvalidInput
from vendorgov.files.service import Upload
from vendorgov.i18n import _
from vendorgov.locations import service as locations
from vendorgov.paging import PageRequest
from vendorgov.servicedesk import access, board, routing, service
from vendorgov.servicedesk.rules import NewRequest

FILERS = allow(*access.FILERS)
READERS = allow(*access.READERS)
CENTRE = allow(*access.CENTRE)
KEEPERS = allow(*access.KEEPERS)
VENDORS = allow(Role.vendor)


class RequestIn(msgspec.Struct):
    category: str
    location_id: int
    description: str
    contact_name: str
    contact_phone: str
    priority: str = "routine"
    complaint: bool = False
    client_token: str = ""
    photo_base64: str = ""
    photo_name: str = "photo.jpg"


class ResolveIn(msgspec.Struct):
    photo_base64: str = ""  # required: left out, the answer names the field (422)
    note: str = ""
    photo_name: str = "photo.jpg"


class AssignIn(msgspec.Struct):
    assignee_id: int


class RateIn(msgspec.Struct):
    rating: int
    comment: str = ""
    complaint: bool = False


class ReviewIn(msgspec.Struct):
    decision: str  # confirm or dismiss
    severity: str = "minor"
    reason: str = ""


class RouteIn(msgspec.Struct):
    category: str
    location_id: int
    contract_id: int


class MemberIn(msgspec.Struct):
    duty: str
    location_id: int | None = None
    contract_id: int | None = None


class CreatedOut(msgspec.Struct):
    id: int


def _plain(row: dict) -> dict:
    return msgspec.to_builtins(row, builtin_types=(datetime,))


def _photo(data: str, name: str) -> Upload | None:
    if not data:
        return None
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput.single(
            "photo_base64", "base64", _("Photo: not base64; send the image's bytes in base64.")
        ) from None
    return Upload(name or "photo.jpg", raw)


class ServiceDeskApi(Controller):
    path = "/api/service"
    tags = ["service centre"]

    @post("/requests", guards=[FILERS], status_code=HTTP_201_CREATED, summary="File a request")
    async def file(self, request: Request, data: JSONBody[RequestIn]) -> dict:
        photo = _photo(data.photo_base64, data.photo_name)
        new = NewRequest(
            category=data.category,
            location_id=data.location_id,
            description=data.description,
            priority=data.priority,
            contact_name=data.contact_name,
            contact_phone=data.contact_phone,
            complaint=data.complaint,
            client_token=data.client_token,
        )
        return _plain(await service.file_request(request.user, new, photo))

    @get("/requests", guards=[READERS], summary="The requests you see (status open: unresolved)")
    async def requests(
        self,
        request: Request,
        paging: PageRequest,
        status: FromQuery[str] = "",
        category: FromQuery[str] = "",
        q: FromQuery[str] = "",
        mine: FromQuery[bool] = False,
    ) -> dict:
        page = await board.request_page(
            request.user, status=status, category=category, q=q, mine=mine, request=paging
        )
        return page.as_json(_plain)

    @get("/requests/{request_id:int}", guards=[READERS], summary="A request")
    async def one(self, request: Request, request_id: FromPath[int]) -> dict:
        return _plain(await service.get(request.user, request_id))

    @post("/requests/{request_id:int}/accept", guards=[VENDORS], status_code=HTTP_200_OK)
    async def accept(self, request: Request, request_id: FromPath[int]) -> dict:
        return _plain(await service.accept(request.user, request_id))

    @post(
        "/requests/{request_id:int}/arrive",
        guards=[VENDORS],
        status_code=HTTP_200_OK,
        summary="On site (the response)",
    )
    async def arrive(self, request: Request, request_id: FromPath[int]) -> dict:
        return _plain(await service.arrive(request.user, request_id))

    @post(
        "/requests/{request_id:int}/resolve",
        guards=[VENDORS],
        status_code=HTTP_200_OK,
        summary="Resolved, with a photo",
    )
    async def resolve(
        self, request: Request, request_id: FromPath[int], data: JSONBody[ResolveIn]
    ) -> dict:
        photo = _photo(data.photo_base64, data.photo_name)
        return _plain(await service.resolve(request.user, request_id, data.note, photo))

    @post("/requests/{request_id:int}/assign", guards=[VENDORS], status_code=HTTP_200_OK)
    async def assign(
        self, request: Request, request_id: FromPath[int], data: JSONBody[AssignIn]
    ) -> dict:
        return _plain(await service.assign(request.user, request_id, data.assignee_id))

    @post(
        "/requests/{request_id:int}/rate",
        guards=[FILERS],
        status_code=HTTP_200_OK,
        summary="Confirm and rate 1–5 (once; by whoever filed it)",
    )
    async def rate(
        self, request: Request, request_id: FromPath[int], data: JSONBody[RateIn]
    ) -> dict:
        return _plain(
            await service.rate(request.user, request_id, data.rating, data.comment, data.complaint)
        )

    @post(
        "/requests/{request_id:int}/complaint",
        guards=[KEEPERS],
        status_code=HTTP_200_OK,
        summary="Confirm (raises a complaint finding) or dismiss a drafted complaint",
    )
    async def review(
        self, request: Request, request_id: FromPath[int], data: JSONBody[ReviewIn]
    ) -> dict:
        return _plain(
            await service.review_complaint(
                request.user, request_id, data.decision, data.severity, data.reason
            )
        )

    @get("/board", guards=[CENTRE], summary="Open requests by category, SLA state and age")
    async def live_board(self, request: Request) -> dict:
        return _plain(await board.board(request.user))

    @get("/figures", guards=[CENTRE], summary="A month's requests per category and place")
    async def figures(self, request: Request, paging: PageRequest, month: FromQuery[str]) -> dict:
        return (await board.figures(request.user, month, paging)).as_json(_plain)

    @get("/callers", guards=[CENTRE], summary="The newest requests with this contact number")
    async def caller(self, request: Request, phone: FromQuery[str]) -> list[dict]:
        return [_plain(r) for r in await board.recent_of_caller(request.user, phone)]

    @get("/places", guards=[FILERS], summary="Places by name, code or pinyin initials")
    async def places(self, q: FromQuery[str] = "") -> list[dict]:
        return [_plain(r) for r in await locations.choose(q)]

    @get("/routes", guards=[KEEPERS], summary="Routes: (category, place subtree) → contract")
    async def routes(self, request: Request, paging: PageRequest) -> dict:
        return (await routing.route_page(request.user, paging)).as_json(_plain)

    @post("/routes", guards=[KEEPERS], status_code=HTTP_201_CREATED, summary="Add a route")
    async def add_route(self, request: Request, data: JSONBody[RouteIn]) -> CreatedOut:
        return CreatedOut(
            await routing.add_route(request.user, data.category, data.location_id, data.contract_id)
        )

    @delete("/routes/{route_id:int}", guards=[KEEPERS], status_code=HTTP_204_NO_CONTENT)
    async def delete_route(self, request: Request, route_id: FromPath[int]) -> None:
        await routing.delete_route(request.user, route_id)

    @put(
        "/members/{user_id:int}",
        guards=[allow(*access.DUTY_SETTERS)],
        status_code=HTTP_200_OK,
        summary="A ward account's ward (staff or kiosk); a vendor user's duty and team "
        "(keepers; a vendor's managers for their own company's users)",
    )
    async def member(
        self, request: Request, user_id: FromPath[int], data: JSONBody[MemberIn]
    ) -> dict:
        return await access.set_member(
            request.user, user_id, data.duty, data.location_id, data.contract_id
        )
