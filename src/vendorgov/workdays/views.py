"""The working-day calendar page: a year's holidays and make-up working days; administrators
add, rename or remove days."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromQuery
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from vendorgov.accounts.auth import allow
from vendorgov.accounts.roles import Role
from vendorgov.i18n import _
from vendorgov.paging import PageRequest
from vendorgov.web.forms import Form
from vendorgov.workdays import rules, service

READERS = allow(*service.READERS)
ADMIN = allow(Role.admin)


class WorkdayPages(Controller):
    include_in_schema = False

    @get("/workdays", guards=[READERS])
    async def index(
        self,
        request: Request,
        year: FromQuery[int | None] = None,
        paging: PageRequest = PageRequest(),
    ) -> Template:
        year = service.checked_year(year or service.this_year())
        return Template(
            "workdays/index.html",
            context={
                "year": year,
                "days": await service.list_days(year, paging),
                "kinds": rules.KIND_LABELS,
                "can_edit": request.user.role is Role.admin,
            },
        )

    @post("/workdays", guards=[ADMIN])
    async def set_day(self, request: Request) -> Redirect:
        form = await Form.read(request)
        day = form.date("day")
        if day is None:
            form.errors.add("day", "required", "give the day (YYYY-MM-DD)")
        form.errors.raise_if_any()
        service.checked_year(day.year)
        await service.set_day(request.user, day, form.text("kind"), form.text("name"))
        flash(request, _("Calendar saved."), category="ok")
        return Redirect(f"/workdays?year={day.year}")
