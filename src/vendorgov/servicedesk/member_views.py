"""The desk duties page (§9): who is a ward's staff or its shared kiosk, which vendor users are
managers or workers and a worker's team. Keepers set anyone's; a vendor's managers set their
own company's users'. People are chosen by name; a rejected form comes back with FormRetry."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from vendorgov.accounts.auth import allow
from vendorgov.accounts.roles import ROLE_LABELS, Role
from vendorgov.i18n import _
from vendorgov.locations import service as locations
from vendorgov.servicedesk import access, members
from vendorgov.web.forms import Form, retried_id

SETTERS = allow(*access.DUTY_SETTERS)


class MemberPages(Controller):
    include_in_schema = False

    @get("/service/members", guards=[SETTERS])
    async def index(self, request: Request, q: FromQuery[str] = "") -> Template:
        return Template(
            "servicedesk/members.html",
            context={
                "people": await members.people(request.user, q),
                "q": q,
                "duty_labels": members.DUTY_LABELS,
                "role_labels": ROLE_LABELS,
                "limit": members.accounts.PEOPLE_PICKER_ITEMS,
            },
        )

    @get("/service/members/{user_id:int}", guards=[SETTERS])
    async def edit(self, request: Request, user_id: FromPath[int]) -> Template:
        person = await members.person(request.user, user_id)
        place = person["place"]
        retried = retried_id(request, "location_id")
        if retried is not None:  # the place chosen in the rejected form
            place = (await locations.names_of([retried])).get(retried)
        return Template(
            "servicedesk/member.html",
            context={
                "p": person,
                "place": place,
                "place_id": retried if retried is not None else person["location_id"],
                "values": {
                    "duty": person["duty"],
                    "contract_id": str(person["contract_id"] or ""),
                },
                "errors": {},
                "duty_labels": members.DUTY_LABELS,
                "role_labels": ROLE_LABELS,
                "ward": person["role"] == Role.ward.value,
            },
        )

    @post("/service/members/{user_id:int}", guards=[SETTERS])
    async def save(self, request: Request, user_id: FromPath[int]) -> Redirect:
        form = await Form.read(request)
        location_id, contract_id = form.integer("location_id"), form.integer("contract_id")
        form.errors.raise_if_any()
        await access.set_member(request.user, user_id, form.text("duty"), location_id, contract_id)
        flash(request, _("Desk duty saved."), category="ok")
        return Redirect("/service/members")
