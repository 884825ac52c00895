"""JSON API of the working-day calendar (§3a): read by everyone, edited by administrators."""

from __future__ import annotations

from datetime import date

import msgspec
from litestar import Controller, Request, get, put
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK

from vendorgov.accounts.auth import allow
from vendorgov.accounts.roles import Role
from vendorgov.errors import InvalidInput
from vendorgov.paging import PageRequest, page_struct
from vendorgov.workdays import rules, service

READERS = allow(*service.READERS)
ADMIN = allow(Role.admin)


class DayIn(msgspec.Struct):
    kind: str  # holiday, workday, or "" to follow the weekday
    name: str = ""


class DayOut(msgspec.Struct):
    day: date
    kind: str  # holiday, workday, or "" (follows its weekday)
    name: str = ""
    source: str = ""


class WorkingDayOut(msgspec.Struct):
    start: date
    days: int
    date: date


DayPageOut = page_struct(DayOut, "CalendarDayPageOut")


def _out(day: date, row: dict | None) -> DayOut:
    return DayOut(day, row["kind"], row["name"], row["source"]) if row else DayOut(day, "")


class WorkdayApi(Controller):
    path = "/api/workdays"
    tags = ["workdays"]

    @get("/days", guards=[READERS], summary="The holidays and make-up working days of a year")
    async def days(self, year: FromQuery[int], paging: PageRequest = PageRequest()) -> DayPageOut:
        page = await service.list_days(service.checked_year(year), paging)
        return msgspec.convert(
            page.as_json(lambda r: _out(r["day"], r)), DayPageOut, from_attributes=True
        )

    @put(
        "/days/{day:date}",
        guards=[ADMIN],
        status_code=HTTP_200_OK,
        summary="Mark a day a holiday or a make-up working day, or (kind empty) a plain weekday",
    )
    async def set_day(self, request: Request, day: FromPath[date], data: JSONBody[DayIn]) -> DayOut:
        service.checked_year(day.year)
        return _out(day, await service.set_day(request.user, day, data.kind, data.name))

    @get("/add", guards=[READERS], summary="The N-th working day after a date")
    async def add(self, start: FromQuery[date], days: FromQuery[int]) -> WorkingDayOut:
        service.checked_year(start.year)
        if not 0 <= days <= 366:
            raise InvalidInput.single("days", "range", "between 0 and 366")
        calendar = await service.calendar_for(start, date(start.year + 2, 12, 31))
        return WorkingDayOut(start, days, rules.add_working_days(calendar, start, days))
