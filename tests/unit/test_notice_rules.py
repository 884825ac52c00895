"""Rectification notices (domain rules §5, §6): deadlines, life cycle, overdue at month-ends."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vendorgov.audits.rules import (
    NoticeAction,
    NoticeStatus,
    NoticeTimeline,
    Severity,
    TransitionRefused,
    audit_component,
    due_soon,
    failed_in,
    grade_notice_text,
    months_of,
    next_status,
    notice_deadline,
    overdue_at,
    overdue_now,
    sent,
)
from vendorgov.contracts.rules import Deadlines
from vendorgov.sla.measure import Month

SHANGHAI = ZoneInfo("Asia/Shanghai")  # no daylight saving: hours of elapsed time are wall hours


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def month_end(text: str) -> datetime:
    return Month.parse(text).end_utc(SHANGHAI).to_pydatetime()


def test_deadline_is_the_earliest_of_the_grouped_findings_across_a_month_end():
    issued = local("2026-10-30 20:00")
    deadlines = Deadlines()  # critical 24 h, major 72 h, minor 168 h
    major_and_minor = notice_deadline(issued, [Severity.minor, Severity.major], deadlines)
    assert major_and_minor == local("2026-11-02 20:00").astimezone(UTC)
    assert major_and_minor.astimezone(SHANGHAI).month == 11
    with_critical = notice_deadline(issued, [Severity.major, Severity.critical], deadlines)
    assert with_critical == local("2026-10-31 20:00")
    # The contract version's own deadlines apply.
    strict = Deadlines(critical=4, major=12, minor=48)
    assert notice_deadline(issued, [Severity.minor], strict) == local("2026-11-01 20:00")


def test_the_vendor_acknowledges_and_responds_a_supervisor_verifies():
    status = NoticeStatus.issued
    status = next_status(status, NoticeAction.acknowledge, "vendor")
    assert status is NoticeStatus.acknowledged
    status = next_status(status, NoticeAction.respond, "vendor")
    assert status is NoticeStatus.responded
    assert next_status(status, NoticeAction.verify_failed, "supervisor") is NoticeStatus.issued
    assert next_status(status, NoticeAction.verify_passed, "supervisor") is NoticeStatus.closed


@pytest.mark.parametrize(
    ("status", "action", "party", "reason"),
    [
        (NoticeStatus.responded, NoticeAction.verify_passed, "vendor", "Only a supervisor"),
        (NoticeStatus.issued, NoticeAction.acknowledge, "supervisor", "Only the vendor"),
        (NoticeStatus.closed, NoticeAction.respond, "vendor", "closed"),
        (NoticeStatus.acknowledged, NoticeAction.verify_passed, "supervisor", "Responded"),
        (NoticeStatus.acknowledged, NoticeAction.acknowledge, "vendor", "Issued"),
        (NoticeStatus.issued, NoticeAction.acknowledge, "vendor", None),
        # Drafts: only a supervisor issues or discards them; the vendor cannot act on one.
        (NoticeStatus.draft, NoticeAction.issue, "vendor", "Only a supervisor"),
        (NoticeStatus.draft, NoticeAction.acknowledge, "vendor", "is a draft"),
        (NoticeStatus.draft, NoticeAction.verify_passed, "supervisor", "is a draft"),
        (NoticeStatus.issued, NoticeAction.issue, "supervisor", "cannot be issued now"),
        (NoticeStatus.issued, NoticeAction.discard, "supervisor", "cannot be discarded now"),
        (NoticeStatus.discarded, NoticeAction.issue, "supervisor", "was discarded"),
        (NoticeStatus.discarded, NoticeAction.respond, "vendor", "was discarded"),
    ],
)
def test_refused_transitions_say_why(status, action, party, reason):
    if reason is None:  # the control case: allowed
        next_status(status, action, party)
        return
    with pytest.raises(TransitionRefused, match=reason):
        next_status(status, action, party)


def test_a_draft_is_issued_or_discarded_by_a_supervisor_and_only_then_sent():
    assert next_status(NoticeStatus.draft, NoticeAction.issue, "supervisor") is NoticeStatus.issued
    discarded = next_status(NoticeStatus.draft, NoticeAction.discard, "supervisor")
    assert discarded is NoticeStatus.discarded
    assert [s.value for s in NoticeStatus if sent(s)] == [
        "issued",
        "acknowledged",
        "responded",
        "closed",
    ]


def test_a_draft_is_neither_overdue_nor_due_soon_whatever_its_placeholder_deadline():
    at = local("2026-11-03 10:00")
    for placeholder in (at - timedelta(days=3), at + timedelta(hours=2)):
        for status in ("draft", "discarded"):
            assert not overdue_now(status, placeholder, at)
            assert not due_soon(status, placeholder, at)
    assert overdue_now("acknowledged", at - timedelta(seconds=1), at)
    assert not overdue_now("closed", at - timedelta(days=1), at)
    assert due_soon("issued", at + timedelta(hours=2), at)


def test_the_grade_notice_names_the_month_score_and_grade_in_both_languages():
    text = grade_notice_text("2026-10", Decimal("65.5"), "D")
    assert "2026-10 月度考核得分 65.50 分，等级 D" in text
    assert "Monthly assessment 2026-10: score 65.50, grade D" in text


def test_a_notice_overdue_at_two_consecutive_month_ends_counts_in_both():
    issued = local("2026-10-20 09:00")
    timeline = NoticeTimeline(
        deadlines=[(issued, notice_deadline(issued, [Severity.major], Deadlines()))],
        closed_at=local("2026-12-05 10:00"),
    )
    assert overdue_at(timeline, month_end("2026-10"))
    assert overdue_at(timeline, month_end("2026-11"))
    assert not overdue_at(timeline, month_end("2026-12"))  # closed on 5 December
    assert not overdue_at(timeline, month_end("2026-09"))  # not issued yet


def test_a_failed_verification_reopens_with_a_new_deadline_and_counts_in_its_month():
    issued = local("2026-10-28 09:00")
    first = notice_deadline(issued, [Severity.critical], Deadlines())  # 29 Oct 09:00
    failed = local("2026-10-29 08:00")  # the fix did not hold
    second = notice_deadline(failed, [Severity.critical], Deadlines())  # 30 Oct 08:00
    timeline = NoticeTimeline(
        deadlines=[(issued, first), (failed, second)], failed_verifications=[failed]
    )
    assert not overdue_at(timeline, local("2026-10-29 12:00"))  # the new deadline runs
    assert overdue_at(timeline, local("2026-10-30 09:00"))
    october = Month.parse("2026-10")
    start, end = october.start_utc(SHANGHAI), october.end_utc(SHANGHAI)
    assert failed_in(timeline, start, end) == 1
    assert failed_in(timeline, end, Month.parse("2026-11").end_utc(SHANGHAI)) == 0


def test_audit_and_rectification_component():
    findings = {Severity.critical: 1, Severity.major: 2, Severity.minor: 3}
    # 100 − 20 − 10 − 3 − 10 × 1 overdue − 5 × 1 failed = 52
    assert audit_component(findings, 1, 1) == Decimal(52)
    assert audit_component({}, 0, 0) == Decimal(100)
    assert audit_component({Severity.critical: 6}, 0, 0) == Decimal(0)  # never below 0


instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)


@given(instants, st.integers(min_value=1, max_value=500), instants)
def test_without_closing_a_notice_is_overdue_exactly_after_its_deadline(issued, hours, at):
    deadline = issued + timedelta(hours=hours)
    timeline = NoticeTimeline(deadlines=[(issued, deadline)])
    assert overdue_at(timeline, at) == (at >= issued and at > deadline)


def test_an_audit_period_gives_the_months_it_touches():
    assert months_of([(date(2026, 11, 20), date(2027, 1, 5))]) == ["2026-11", "2026-12", "2027-01"]
    assert months_of(
        [(date(2026, 3, 1), date(2026, 3, 31)), (date(2026, 3, 10), date(2026, 4, 1))]
    ) == [
        "2026-03",
        "2026-04",
    ]
    assert months_of([]) == []


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)), st.integers(0, 800))
def test_the_months_of_a_period_are_every_day_s_month_once(first, days):
    last = first + timedelta(days=days)
    every_day = {(first + timedelta(days=n)).strftime("%Y-%m") for n in range(days + 1)}
    assert months_of([(first, last)]) == sorted(every_day)
