"""The results stage's deadlines and limits (§3a), computed by hand across National Day 2025:
1–8 October off, Sunday 28 September and Saturday 11 October make-up working days (调休)."""

from datetime import date, timedelta
from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from vendorgov.errors import Collector
from vendorgov.tenders import result_rules as r
from vendorgov.workdays.rules import Calendar, working_days_between

NATIONAL_DAY = Calendar(
    holidays=frozenset(date(2025, 10, d) for d in (1, 2, 3, 6, 7, 8)),
    workdays=frozenset({date(2025, 9, 28), date(2025, 10, 11)}),
)
WEEKDAYS = Calendar()


def test_result_notice_due_counts_the_make_up_sunday():
    # Awarded Friday 26 September: Sun 28 (make-up, 1), Mon 29 (2).
    assert r.notice_due(date(2025, 9, 26), NATIONAL_DAY) == date(2025, 9, 29)
    # Monday to Friday alone would give Tuesday 30.
    assert r.notice_due(date(2025, 9, 26), WEEKDAYS) == date(2025, 9, 30)


def test_challenge_period_skips_the_holiday_and_counts_the_make_up_saturday():
    # Notice Tuesday 30 September: 1–8 off; Thu 9 (1), Fri 10 (2), Sat 11 make-up (3),
    # Mon 13 (4), Tue 14 (5), Wed 15 (6), Thu 16 (7).
    assert r.challenge_deadline(date(2025, 9, 30), NATIONAL_DAY) == date(2025, 10, 16)
    assert r.challenge_deadline(date(2025, 9, 30), WEEKDAYS) == date(2025, 10, 9)
    # A challenge filed on the make-up Saturday is answered by Tuesday 21 October.
    assert r.answer_due(date(2025, 10, 11), NATIONAL_DAY) == date(2025, 10, 21)


def test_refund_due_five_working_days_after_the_award_notice_or_the_signing():
    # Award notice Tuesday 30 September: Thu 9, Fri 10, Sat 11, Mon 13, Tue 14.
    assert r.refund_due(date(2025, 9, 30), NATIONAL_DAY) == date(2025, 10, 14)
    # Contract signed Friday 10 October: Sat 11 (make-up), Mon 13 … Thu 16.
    assert r.refund_due(date(2025, 10, 10), NATIONAL_DAY) == date(2025, 10, 16)


def test_overdue_only_after_the_due_day_and_never_once_done():
    due = date(2025, 10, 16)
    assert not r.is_overdue(due, due)
    assert r.is_overdue(due, due + timedelta(days=1))
    assert not r.is_overdue(due, due + timedelta(days=1), done=True)
    assert not r.is_overdue(None, due)


def test_bid_security_at_most_two_percent_of_the_ceiling():
    def errors(amount, ceiling="1000000.00"):
        c = Collector()
        r.security_errors(amount, D(ceiling), c)
        return [(e.field, e.rule) for e in c.errors]

    assert r.max_security(D("1000000.00")) == D("20000.00")
    assert r.max_security(D("333333.33")) == D("6666.66")  # 6,666.6666 rounded down
    assert errors(D("20000.00")) == []
    assert errors(D("0")) == []
    assert errors(D("20000.01")) == [("bid_security", "max_percent")]
    assert errors(D("-1")) == [("bid_security", "cents")]
    assert errors(D("1.005")) == [("bid_security", "cents")]
    assert errors(D("NaN")) == [("bid_security", "cents")]
    assert errors(None) == []


@given(
    st.dates(min_value=date(2025, 9, 1), max_value=date(2025, 10, 31)),
    st.sampled_from([NATIONAL_DAY, WEEKDAYS]),
)
def test_each_deadline_is_a_working_day_its_count_after_the_start(start, calendar):
    for rule, days in (
        (r.notice_due, r.NOTICE_WORKING_DAYS),
        (r.challenge_deadline, r.CHALLENGE_WORKING_DAYS),
        (r.answer_due, r.ANSWER_WORKING_DAYS),
        (r.refund_due, r.REFUND_WORKING_DAYS),
    ):
        due = rule(start, calendar)
        assert calendar.is_working_day(due)
        assert working_days_between(calendar, start, due) == days
        assert (due - start).days <= r.CALENDAR_SPAN_DAYS


@given(st.decimals(min_value=D("0.01"), max_value=D("999999999999.99"), places=2))
def test_the_most_asked_is_never_over_two_percent(ceiling):
    most = r.max_security(ceiling)
    assert most * 50 <= ceiling
    c = Collector()
    r.security_errors(most, ceiling, c)
    assert not c.errors
