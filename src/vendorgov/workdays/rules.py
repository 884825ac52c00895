"""The working-day calendar's rules with no I/O (§3a): a day is a working day when it is a
make-up working day (调休), or a Monday to Friday that is not a public holiday."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from vendorgov.errors import Collector
from vendorgov.i18n import N_


class Kind(StrEnum):
    holiday = "holiday"
    workday = "workday"


KIND_LABELS = {Kind.holiday: N_("public holiday"), Kind.workday: N_("make-up working day")}
MAX_NAME = 100


@dataclass(frozen=True)
class Calendar:
    """The exceptions to Monday to Friday over some span of days."""

    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays


def add_working_days(calendar: Calendar, start: date, days: int) -> date:
    """The `days`-th working day after `start` (start itself not counted); 0 → start."""
    day = start
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            counted += 1
    return day


def working_days_between(calendar: Calendar, first: date, last: date) -> int:
    """Working days after `first` up to and including `last` (0 when last ≤ first), so that
    working_days_between(c, d, add_working_days(c, d, n)) == n."""
    return sum(
        calendar.is_working_day(first + timedelta(days=i))
        for i in range(1, (last - first).days + 1)
    )


def day_errors(kind: str, name: str) -> Collector:
    """What an administrator's entry for a day breaks; kind "" returns the day to its weekday."""
    errors = Collector()
    if kind not in (*Kind, ""):
        errors.add("kind", "unknown", "one of holiday, workday, or empty to follow the weekday")
    if len(name.strip()) > MAX_NAME:
        errors.add("name", "max_length", f"at most {MAX_NAME} characters")
    return errors
