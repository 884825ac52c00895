"""The working-day calendar's rules (§3a), across National Day 2026 and its make-up days."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from vendorgov.workdays.rules import (
    Calendar,
    add_working_days,
    day_errors,
    working_days_between,
)

# The State Council's 2026 National Day: 1–7 October off (Thursday to Wednesday); Sunday 20
# September and Saturday 10 October are make-up working days (调休).
NATIONAL_DAY = Calendar(
    holidays=frozenset(date(2026, 10, d) for d in (1, 2, 5, 6, 7)),
    workdays=frozenset({date(2026, 9, 20), date(2026, 10, 10)}),
)
WEEKDAYS = Calendar()


def test_a_holiday_is_skipped_and_its_make_up_saturday_counts():
    # From Tuesday 29 September: Wed 30 (1), 1–7 October off, Thu 8 (2), Fri 9 (3).
    assert add_working_days(NATIONAL_DAY, date(2026, 9, 29), 3) == date(2026, 10, 9)
    # From Thursday 8 October: Fri 9 (1), Sat 10 make-up (2), Mon 12 (3); Monday to Friday
    # alone would say Tuesday 13.
    assert add_working_days(NATIONAL_DAY, date(2026, 10, 8), 3) == date(2026, 10, 12)
    assert add_working_days(WEEKDAYS, date(2026, 10, 8), 3) == date(2026, 10, 13)
    # From Friday 18 September, the next working day is Sunday 20 (make-up).
    assert add_working_days(NATIONAL_DAY, date(2026, 9, 18), 1) == date(2026, 9, 20)
    assert add_working_days(NATIONAL_DAY, date(2026, 9, 18), 0) == date(2026, 9, 18)


def test_working_days_between_counts_after_the_first_up_to_the_last():
    assert working_days_between(NATIONAL_DAY, date(2026, 9, 30), date(2026, 10, 9)) == 2
    assert working_days_between(NATIONAL_DAY, date(2026, 9, 30), date(2026, 10, 12)) == 4
    assert working_days_between(NATIONAL_DAY, date(2026, 10, 9), date(2026, 10, 9)) == 0
    assert working_days_between(NATIONAL_DAY, date(2026, 10, 9), date(2026, 10, 1)) == 0
    assert NATIONAL_DAY.is_working_day(date(2026, 10, 10))
    assert not NATIONAL_DAY.is_working_day(date(2026, 10, 5))  # a Monday off


def test_an_administrators_entry_is_checked():
    assert day_errors("holiday", "国庆节").errors == []
    assert day_errors("", "").errors == []
    assert [(e.field, e.rule) for e in day_errors("weekend", "x" * 101).errors] == [
        ("kind", "unknown"),
        ("name", "max_length"),
    ]


@given(
    st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)),
    st.integers(0, 40),
    st.sets(st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 6, 30)), max_size=40),
)
def test_adding_and_counting_working_days_agree(start, days, holidays):
    calendar = Calendar(holidays=frozenset(holidays))
    end = add_working_days(calendar, start, days)
    assert working_days_between(calendar, start, end) == days
    assert days == 0 or calendar.is_working_day(end)
    # Never earlier than the same count of calendar days.
    assert end >= start + timedelta(days=days)
