"""The service centre's pages (phone first): the request form a place's QR code opens, the
hotline console, the lists and a request's page with its steps, the live board, the month's
figures and the routes."""

from __future__ import annotations

import uuid
from datetime import datetime

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from vendorgov.accounts.auth import allow
from vendorgov.accounts.roles import Role
from vendorgov.contracts import service as contracts
from vendorgov.contracts.rules import PRIORITIES
from vendorgov.errors import DomainError
from vendorgov.files.responses import inline_file
from vendorgov.i18n import _
from vendorgov.locations import service as locations
from vendorgov.paging import PageRequest
from vendorgov.servicedesk import access, board, routing, rules, service
from vendorgov.servicedesk.rules import NewRequest
from vendorgov.settings import get_settings
from vendorgov.vendors.rules import CATEGORY_LABELS
from vendorgov.web.forms import Form, error_map, retried_id

FILERS = allow(*access.FILERS)
READERS = allow(*access.READERS)
CENTRE = allow(*access.CENTRE)
KEEPERS = allow(*access.KEEPERS)
# Who a place's QR code leads somewhere: filers, and vendors (to their queue).
SCANNERS = allow(*access.FILERS, Role.vendor)
# The steps a request's page posts, by the path's last part.
STEPS = {"accept", "arrive", "resolve", "assign", "rate", "complaint"}


def _choices() -> dict:
    return {
        "categories": CATEGORY_LABELS,
        "priorities": PRIORITIES,
        "priority_labels": rules.PRIORITY_LABELS,
        "status_labels": rules.STATUS_LABELS,
        "sla_labels": rules.SLA_LABELS,
    }


async def _form_page(
    request: Request, values: dict, errors: dict | None = None, status_code: int = 200
) -> Template:
    console = request.user.role is Role.agent or values.get("console") == "1"
    place = None
    if str(values.get("location_id", "")).isdigit():
        found = await locations.names_of([int(values["location_id"])])
        place = found.get(int(values["location_id"]))
    # One token per form shown: a second tap of "File" returns the first request.
    values.setdefault("client_token", uuid.uuid4().hex)
    # A nurse's own account names its contact; a ward's shared kiosk asks every time.
    staff = (await access.desk(request.user)).duty == "staff"
    if staff and not console and not values.get("contact_name"):
        values = {"contact_name": request.user.display_name, **values}
    return Template(
        "servicedesk/form.html",
        status_code=status_code,
        context={
            **_choices(),
            "values": values,
            "errors": errors or {},
            "place": place,
            "console": console,
            "photo_mb": get_settings().service_photo_bytes // (1024 * 1024),
        },
    )


async def _request_page(
    request: Request, request_id: int, errors: dict | None = None, status_code: int = 200
) -> Template:
    row = await service.get(request.user, request_id)
    me = await access.desk(request.user)
    return Template(
        "servicedesk/request.html",
        status_code=status_code,
        context={
            **_choices(),
            "r": row,
            "seat": me,
            "errors": errors or {},
            "team": await access.team(request.user.vendor_id) if me.is_manager else [],
            "keeper": request.user.role in access.KEEPERS,
        },
    )


class ServiceDeskPages(Controller):
    include_in_schema = False

    @get("/at/{location_id:int}", guards=[SCANNERS])
    async def place_code(self, request: Request, location_id: FromPath[int]) -> Response:
        """Where a place's QR label leads (§8): the request form, and for supervisors a
        choice between it and the inspection form."""
        role = request.user.role
        if role in (Role.ward, Role.agent):
            return Redirect(f"/service/new?location_id={location_id}")
        if role is Role.vendor:
            return Redirect("/service/requests?status=open")
        names = await locations.names_of([location_id])
        return Template(
            "servicedesk/place.html",
            context={"location_id": location_id, "place": names.get(location_id, "")},
        )

    @get("/service/new", guards=[FILERS])
    async def new(self, request: Request, location_id: FromQuery[int | None] = None) -> Template:
        return await _form_page(request, {"location_id": location_id or "", "priority": "routine"})

    @get("/service/console", guards=[CENTRE])
    async def console(self, request: Request) -> Template:
        return await _form_page(request, {"priority": "urgent", "console": "1"})

    @get("/service/places", guards=[FILERS])
    async def places(self, q: FromQuery[str] = "") -> Template:
        return Template("servicedesk/_places.html", context={"places": await locations.choose(q)})

    @get("/service/callers", guards=[CENTRE])
    async def callers(self, request: Request, contact_phone: FromQuery[str] = "") -> Template:
        rows = await board.recent_of_caller(request.user, contact_phone)
        return Template("servicedesk/_caller.html", context={**_choices(), "rows": rows})

    @post("/service/requests", guards=[FILERS])
    async def file(self, request: Request) -> Response:
        form = await Form.read(request)
        photo = await form.upload("photo")
        location_id = form.integer("location_id")
        values = form.values()
        try:
            form.errors.raise_if_any()
            row = await service.file_request(
                request.user,
                NewRequest(
                    category=form.text("category"),
                    location_id=location_id,
                    description=form.text("description"),
                    priority=form.text("priority") or "routine",
                    contact_name=form.text("contact_name"),
                    contact_phone=form.text("contact_phone"),
                    complaint=form.flag("complaint"),
                    client_token=form.text("client_token"),
                ),
                photo,
            )
        except DomainError as error:
            return await _form_page(request, values, error_map(error), error.status_code)
        flash(request, _("Request %(number)s filed.", number=row["number"]), category="ok")
        return Redirect(f"/service/requests/{row['id']}")

    @get("/service/requests", guards=[READERS])
    async def index(
        self,
        request: Request,
        paging: PageRequest,
        status: FromQuery[str] = "open",
        category: FromQuery[str] = "",
        q: FromQuery[str] = "",
        mine: FromQuery[bool] = False,
    ) -> Template:
        page = await board.request_page(
            request.user, status=status, category=category, q=q, mine=mine, request=paging
        )
        return Template(
            "servicedesk/list.html",
            context={
                **_choices(),
                "page": page,
                "filters": {"status": status, "category": category, "q": q, "mine": mine},
                "statuses": ["open", *rules.Status],
            },
        )

    @get("/service/requests/{request_id:int}", guards=[READERS])
    async def show(self, request: Request, request_id: FromPath[int]) -> Template:
        return await _request_page(request, request_id)

    @get("/service/requests/{request_id:int}/photo/{which:str}", guards=[READERS])
    async def photo(
        self, request: Request, request_id: FromPath[int], which: FromPath[str]
    ) -> Response:
        return inline_file(await service.photo(request.user, request_id, which))

    @post("/service/requests/{request_id:int}/{step:str}", guards=[READERS])
    async def step(
        self, request: Request, request_id: FromPath[int], step: FromPath[str]
    ) -> Response:
        form = await Form.read(request)
        actor = request.user
        try:
            if step not in STEPS:
                raise DomainError(_("Unknown step."))
            if step == "accept":
                await service.accept(actor, request_id)
            elif step == "arrive":
                await service.arrive(actor, request_id)
            elif step == "resolve":
                await service.resolve(
                    actor, request_id, form.text("note"), await form.upload("photo")
                )
            elif step == "assign":
                await service.assign(actor, request_id, form.integer("assignee_id"))
            elif step == "rate":
                await service.rate(
                    actor,
                    request_id,
                    form.integer("rating"),
                    form.text("comment"),
                    form.flag("complaint"),
                )
            else:
                await service.review_complaint(
                    actor,
                    request_id,
                    form.text("decision"),
                    form.text("severity") or "minor",
                    form.text("reason"),
                )
        except DomainError as error:
            return await _request_page(request, request_id, error_map(error), error.status_code)
        flash(request, _("Saved."), category="ok")
        return Redirect(f"/service/requests/{request_id}")

    @get("/service/board", guards=[CENTRE])
    async def board_page(self, request: Request, paging: PageRequest) -> Template:
        return Template("servicedesk/board.html", context=await self._board(request, paging))

    @get("/service/board/live", guards=[CENTRE])
    async def board_live(self, request: Request, paging: PageRequest) -> Template:
        return Template("servicedesk/_board.html", context=await self._board(request, paging))

    async def _board(self, request: Request, paging: PageRequest) -> dict:
        return {
            **_choices(),
            "board": await board.board(request.user),
            "page": await board.request_page(request.user, status="open", request=paging),
            "poll_s": get_settings().service_board_poll_s,
        }

    @get("/service/figures", guards=[CENTRE])
    async def figures(
        self, request: Request, paging: PageRequest, month: FromQuery[str] = ""
    ) -> Template:
        chosen = month or datetime.now(get_settings().zone).strftime("%Y-%m")
        return Template(
            "servicedesk/figures.html",
            context={"page": await board.figures(request.user, chosen, paging), "month": chosen},
        )

    @get("/service/routes", guards=[KEEPERS])
    async def routes(
        self, request: Request, paging: PageRequest, contract_q: FromQuery[str] = ""
    ) -> Template:
        """The routes, and the form adding one: the place found by name, code or pinyin (as
        the request form's), the contract among the first running ones matching
        `contract_q` by number, title or vendor (and the one a rejected form chose)."""
        offered = await contracts.contract_page(
            request.user, status=contracts.RUNNING, q=contract_q
        )
        chosen = retried_id(request, "contract_id")
        choices = [{"id": c["id"], "label": _contract_label(c)} for c in offered.items]
        if chosen and all(c["id"] != chosen for c in choices):
            try:
                target = await contracts.routing_target(chosen)
                choices.append({"id": chosen, "label": _contract_label(target)})
            except DomainError:
                pass
        place_id = retried_id(request, "location_id")
        place = (await locations.names_of([place_id])).get(place_id) if place_id else None
        return Template(
            "servicedesk/routes.html",
            context={
                **_choices(),
                "page": await routing.route_page(request.user, paging),
                "values": {},
                "errors": {},
                "contract_q": contract_q,
                "contracts": choices,
                "contracts_total": offered.total,
                "place": place,
                "place_id": place_id,
            },
        )

    @post("/service/routes", guards=[KEEPERS])
    async def add_route(self, request: Request) -> Response:
        form = await Form.read(request)
        location_id, contract_id = form.integer("location_id"), form.integer("contract_id")
        form.errors.raise_if_any()  # a rejection comes back on the page (FormRetry)
        await routing.add_route(request.user, form.text("category"), location_id, contract_id)
        flash(request, _("Route added."), category="ok")
        return Redirect("/service/routes")

    @post("/service/routes/{route_id:int}/delete", guards=[KEEPERS])
    async def delete_route(self, request: Request, route_id: FromPath[int]) -> Redirect:
        await routing.delete_route(request.user, route_id)
        flash(request, _("Route deleted."), category="ok")
        return Redirect("/service/routes")


def _contract_label(contract: dict) -> str:
    return f"{contract['number']} · {contract['vendor_name']} · {contract['title']}"
