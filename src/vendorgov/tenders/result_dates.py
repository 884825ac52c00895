"""The days the results stage counts from (§3a): the hospital's local day, and the
working-day calendar far enough ahead for any of its deadlines."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from vendorgov.tenders import common
from vendorgov.tenders.result_rules import CALENDAR_SPAN_DAYS
from vendorgov.workdays import service as workdays
from vendorgov.workdays.rules import Calendar


def local_day(at: datetime) -> date:
    return common.local(at).date()


def today() -> date:
    return local_day(common.now())


async def calendar_from(day: date) -> Calendar:
    return await workdays.calendar_for(day, day + timedelta(days=CALENDAR_SPAN_DAYS))
