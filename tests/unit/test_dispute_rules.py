"""When the vendors' dispute window closes (§7): N working days on the calendar (§3a)."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from tests.unit.test_workday_rules import NATIONAL_DAY
from vendorgov.payments.dispute_rules import window_closes
from vendorgov.workdays.rules import Calendar

ZONE = ZoneInfo("Asia/Shanghai")
WEEKDAYS = Calendar()


def local(*args) -> datetime:
    return datetime(*args, tzinfo=ZONE)


def test_three_working_days_skip_the_weekend():
    # Computed Monday 1 December 2026 10:00: Tuesday, Wednesday, Thursday; closes at the end of
    # Thursday (Friday 00:00 local).
    assert window_closes(local(2026, 11, 30, 10), 3, ZONE, WEEKDAYS) == local(2026, 12, 4)
    # Computed on a Friday: Monday, Tuesday, Wednesday.
    assert window_closes(local(2026, 12, 4, 17, 30), 3, ZONE, WEEKDAYS) == local(2026, 12, 10)
    # Computed on a Saturday: one working day is Monday.
    assert window_closes(local(2026, 12, 5, 9), 1, ZONE, WEEKDAYS) == local(2026, 12, 8)


def test_no_window():
    at = datetime(2026, 12, 1, 3, tzinfo=UTC)
    assert window_closes(at, 0, ZONE, WEEKDAYS) == at


@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1)),
    st.integers(min_value=1, max_value=20),
)
def test_exactly_n_weekdays_after_the_day_of_computing(naive, days):
    computed = naive.replace(tzinfo=UTC)
    closes = window_closes(computed, days, ZONE, WEEKDAYS)
    assert closes > computed
    first = computed.astimezone(ZONE).date()
    last = (closes.astimezone(ZONE) - timedelta(microseconds=1)).date()
    assert closes.astimezone(ZONE).time().hour == 0
    assert last.weekday() < 5  # it ends on a working day
    span = [first + timedelta(days=i) for i in range(1, (last - first).days + 1)]
    assert sum(d.weekday() < 5 for d in span) == days
    assert isinstance(last, date)


def test_the_window_skips_a_holiday_and_counts_its_make_up_saturday():
    # Computed Wednesday 30 September 2026: 1–7 October off; Thu 8, Fri 9, Sat 10 (make-up
    # working day) → closes at the end of Saturday 10 October. Monday to Friday alone would
    # have closed it at the end of Monday 5 October, in the middle of the holiday.
    assert window_closes(local(2026, 9, 30, 16), 3, ZONE, NATIONAL_DAY) == local(2026, 10, 11)
    assert window_closes(local(2026, 9, 30, 16), 3, ZONE, WEEKDAYS) == local(2026, 10, 6)
