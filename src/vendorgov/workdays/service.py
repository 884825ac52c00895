"""The working-day calendar (§3a): read for a span of days, seeded year by year from the
chinese_calendar package the first time a year is needed, and edited by administrators."""

from __future__ import annotations

from datetime import UTC, date, datetime

from vendorgov import db, paging
from vendorgov.accounts.roles import Principal, Role
from vendorgov.audit import service as audit
from vendorgov.errors import Forbidden, InvalidInput
from vendorgov.paging import Page, PageRequest
from vendorgov.settings import get_settings
from vendorgov.workdays import rules
from vendorgov.workdays.rules import Calendar, Kind
from vendorgov.workdays.tables import CalendarDay, CalendarYear

READERS = tuple(Role)
SORTS = {"day": CalendarDay.day, "kind": CalendarDay.kind}


def this_year() -> int:
    return datetime.now(get_settings().zone).year


def checked_year(year: int) -> int:
    if not 2000 <= year <= 2100:
        raise InvalidInput.single("year", "range", "a year between 2000 and 2100")
    return year


def package_days(year: int) -> dict[date, tuple[Kind, str]]:
    """The State Council's calendar of `year` as the package knows it, kept to the days that
    differ from Monday to Friday: holidays on weekdays and make-up working days on weekends.
    Empty when the package does not cover the year (it is published each November or
    December): the year then follows Monday to Friday until seeded or entered."""
    import chinese_calendar

    days = {
        d: (Kind.holiday, name)
        for d, name in chinese_calendar.holidays.items()
        if d.year == year and d.weekday() < 5
    }
    days |= {
        d: (Kind.workday, name)
        for d, name in chinese_calendar.workdays.items()
        if d.year == year and d.weekday() >= 5
    }
    return days


# Years known to be seeded in this database: a seeded year stays seeded, so the check is asked
# of the database once per process and year, not on every reading of the calendar.
_SEEDED: set[int] = set()


async def _seed(years: range) -> None:
    """Seed the years not yet seeded that the package covers. Once a year is seeded it is never
    seeded again, so an administrator's changes stay."""
    wanted = [y for y in years if y not in _SEEDED]
    if not wanted:
        return
    done = {
        r["year"]
        for r in await CalendarYear.select(CalendarYear.year).where(CalendarYear.year.is_in(wanted))
    }
    _SEEDED.update(done)
    missing = [y for y in wanted if y not in done]
    covered = {y: days for y in missing if (days := package_days(y))}
    if not covered:
        return
    async with db.transaction():
        await db.serialize("workdays")  # two first readers of a year seed it once
        for year, days in covered.items():
            if await CalendarYear.exists().where(CalendarYear.year == year):
                continue
            entered = {
                r["day"]
                for r in await CalendarDay.select(CalendarDay.day).where(
                    (CalendarDay.day >= date(year, 1, 1)) & (CalendarDay.day <= date(year, 12, 31))
                )
            }
            now = datetime.now(UTC)
            rows = [
                CalendarDay(day=d, kind=kind.value, name=name, source="package", updated_at=now)
                for d, (kind, name) in sorted(days.items())
                if d not in entered
            ]
            if rows:
                await CalendarDay.insert(*rows)
            await CalendarYear.insert(
                CalendarYear(year=year, seeded_at=now, package_days=len(rows))
            )


async def calendar_for(first: date, last: date) -> Calendar:
    """The calendar's exceptions from `first` to `last` (both inclusive)."""
    await _seed(range(first.year, last.year + 1))
    rows = await CalendarDay.select(CalendarDay.day, CalendarDay.kind).where(
        (CalendarDay.day >= first) & (CalendarDay.day <= last)
    )
    return Calendar(
        holidays=frozenset(r["day"] for r in rows if r["kind"] == Kind.holiday),
        workdays=frozenset(r["day"] for r in rows if r["kind"] == Kind.workday),
    )


async def list_days(year: int, request: PageRequest) -> Page:
    """The exceptions of a year, in date order (every role may read the calendar)."""
    await _seed(range(year, year + 1))
    where = [(CalendarDay.day >= date(year, 1, 1)) & (CalendarDay.day <= date(year, 12, 31))]
    return await paging.fetch_page(
        CalendarDay, CalendarDay.select(), where, request, SORTS, [(CalendarDay.day, True)]
    )


async def set_day(actor: Principal, day: date, kind: str, name: str) -> dict | None:
    """An administrator marks a day as a holiday or a make-up working day, renames it, or (kind
    "") returns it to its weekday. Audited; repeating the same entry changes nothing. Returns
    the day's entry (None when it follows its weekday)."""
    if actor.role is not Role.admin:
        raise Forbidden("only administrators edit the working-day calendar")
    rules.day_errors(kind, name).raise_if_any()
    name = name.strip()
    await _seed(range(day.year, day.year + 1))  # first, so seeding never overwrites this
    async with db.transaction():
        await db.serialize("workdays")
        row = await CalendarDay.select().where(CalendarDay.day == day).first()
        before = {"kind": row["kind"], "name": row["name"]} if row else {"kind": ""}
        after = {"kind": kind, "name": name} if kind else {"kind": ""}
        if before == after:
            return row
        now = datetime.now(UTC)
        if not kind:
            await CalendarDay.delete().where(CalendarDay.day == day)
        elif row:
            await CalendarDay.update(
                {
                    CalendarDay.kind: kind,
                    CalendarDay.name: name,
                    CalendarDay.source: "admin",
                    CalendarDay.updated_by: actor.username,
                    CalendarDay.updated_at: now,
                }
            ).where(CalendarDay.day == day)
        else:
            await CalendarDay.insert(
                CalendarDay(
                    day=day,
                    kind=kind,
                    name=name,
                    source="admin",
                    updated_by=actor.username,
                    updated_at=now,
                )
            )
        await audit.record(actor, "calendar_day", day.isoformat(), "set", before, after)
    return await CalendarDay.select().where(CalendarDay.day == day).first()
