"""Findings and rectification notices with no I/O (domain rules §5 and the audit and
rectification component of §6): deadlines, the notice life cycle, overdue at month-ends."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from vendorgov.contracts.rules import Deadlines
from vendorgov.humane import joined, status_label
from vendorgov.i18n import N_, _


class Severity(StrEnum):
    minor = "minor"
    major = "major"
    critical = "critical"


class NoticeStatus(StrEnum):
    draft = "draft"  # drafted by the month-end for a D grade (§7); the vendor does not see it
    issued = "issued"
    acknowledged = "acknowledged"
    responded = "responded"
    closed = "closed"
    discarded = "discarded"  # a draft a supervisor decided not to send, with the reason


# Statuses the vendor never sees: the notice was not (yet) sent to it.
UNSENT = frozenset({NoticeStatus.draft, NoticeStatus.discarded})
# Statuses in which a notice runs against its deadline.
RUNNING = frozenset({NoticeStatus.issued, NoticeStatus.acknowledged, NoticeStatus.responded})


def sent(status: str) -> bool:
    """Whether the vendor has received the notice (and may see it)."""
    return NoticeStatus(status) not in UNSENT


class NoticeAction(StrEnum):
    issue = "issue"  # a supervisor sends a draft to the vendor: the deadline starts now
    discard = "discard"  # a supervisor drops a draft, saying why
    acknowledge = "acknowledge"  # the vendor
    respond = "respond"  # the vendor, with evidence
    verify_passed = "verify_passed"  # a supervisor
    verify_failed = "verify_failed"  # a supervisor: back to issued with a new deadline


# Which action is allowed from which status, by whom ("vendor" or "supervisor"), and where it
# leads. Anything else is refused with the reason.
TRANSITIONS: dict[NoticeAction, tuple[frozenset[NoticeStatus], str, NoticeStatus]] = {
    NoticeAction.issue: (frozenset({NoticeStatus.draft}), "supervisor", NoticeStatus.issued),
    NoticeAction.discard: (
        frozenset({NoticeStatus.draft}),
        "supervisor",
        NoticeStatus.discarded,
    ),
    NoticeAction.acknowledge: (
        frozenset({NoticeStatus.issued}),
        "vendor",
        NoticeStatus.acknowledged,
    ),
    NoticeAction.respond: (
        frozenset({NoticeStatus.issued, NoticeStatus.acknowledged}),
        "vendor",
        NoticeStatus.responded,
    ),
    NoticeAction.verify_passed: (
        frozenset({NoticeStatus.responded}),
        "supervisor",
        NoticeStatus.closed,
    ),
    NoticeAction.verify_failed: (
        frozenset({NoticeStatus.responded}),
        "supervisor",
        NoticeStatus.issued,
    ),
}


# Why an action is refused in a status it does not apply to (the statuses it applies to).
NOT_NOW = {
    NoticeAction.issue: N_(
        "A notice that is %(status)s cannot be issued now (possible when it is %(allowed)s)."
    ),
    NoticeAction.discard: N_(
        "A notice that is %(status)s cannot be discarded now (possible when it is %(allowed)s)."
    ),
    NoticeAction.acknowledge: N_(
        "A notice that is %(status)s cannot be acknowledged now (possible when it is %(allowed)s)."
    ),
    NoticeAction.respond: N_(
        "A notice that is %(status)s cannot be responded to now (possible when it is %(allowed)s)."
    ),
    NoticeAction.verify_passed: N_(
        "A notice that is %(status)s cannot be verified now (possible when it is %(allowed)s)."
    ),
    NoticeAction.verify_failed: N_(
        "A notice that is %(status)s cannot be verified now (possible when it is %(allowed)s)."
    ),
}
# Who may take an action, when another party tries it.
ONLY_BY = {
    "vendor": N_("Only the vendor acknowledges and responds to a notice."),
    "supervisor": N_("Only a supervisor issues, discards or verifies a notice."),
}


class TransitionRefused(ValueError):
    """The action is not possible now, or not by this party; the message says why."""


def next_status(status: NoticeStatus, action: NoticeAction, party: str) -> NoticeStatus:
    allowed_from, by, target = TRANSITIONS[action]
    if party != by:
        raise TransitionRefused(_(ONLY_BY[by]))
    if status not in allowed_from:
        if status is NoticeStatus.closed:
            raise TransitionRefused(_("The notice is closed: nothing more can be done with it."))
        if status is NoticeStatus.discarded:
            raise TransitionRefused(_("The draft was discarded: nothing more can be done with it."))
        if status is NoticeStatus.draft:
            raise TransitionRefused(
                _("The notice is a draft: a supervisor issues it to the vendor or discards it.")
            )
        raise TransitionRefused(
            _(
                NOT_NOW[action],
                status=status_label(status.value),
                allowed=joined(status_label(s.value) for s in sorted(allowed_from)),
            )
        )
    return target


def deadline_hours(severity: Severity, deadlines: Deadlines) -> int:
    return getattr(deadlines, severity.value)


def notice_deadline(
    issued_at: datetime, severities: Iterable[Severity], deadlines: Deadlines
) -> datetime:
    """The earliest of the grouped findings' deadlines: issue time plus the shortest window
    among their severities (hours of elapsed time, so the same in any zone). UTC."""
    hours = min(deadline_hours(s, deadlines) for s in severities)
    return issued_at.astimezone(UTC) + timedelta(hours=hours)


@dataclass(frozen=True)
class NoticeTimeline:
    """What the month-end needs of a notice: when each deadline was set (the first at issue, a
    new one at every failed verification), when verifications failed, when it was closed."""

    deadlines: Sequence[tuple[datetime, datetime]]  # (set at, deadline), in order
    failed_verifications: Sequence[datetime] = ()
    closed_at: datetime | None = None


def deadline_in_force(timeline: NoticeTimeline, at: datetime) -> datetime | None:
    current = None
    for set_at, deadline in timeline.deadlines:
        if set_at <= at:
            current = deadline
    return current


def overdue_at(timeline: NoticeTimeline, at: datetime) -> bool:
    """Past the deadline in force at that instant and not closed by then."""
    if timeline.closed_at is not None and timeline.closed_at <= at:
        return False
    deadline = deadline_in_force(timeline, at)
    return deadline is not None and deadline < at


# Dashboards remind of notices due within this window (and of overdue ones).
DUE_SOON = timedelta(hours=24)


def due_soon(status: str, deadline: datetime, at: datetime) -> bool:
    """Running (issued, not closed), not yet overdue, and due within DUE_SOON."""
    return NoticeStatus(status) in RUNNING and at <= deadline <= at + DUE_SOON


def overdue_now(status: str, deadline: datetime, at: datetime) -> bool:
    """Running (issued, not closed) and past its deadline. A draft has no deadline yet."""
    return NoticeStatus(status) in RUNNING and deadline < at


# A D grade drafts a rectification notice (§7).
GRADE_FOR_NOTICE = "D"


def grade_notice_text(month: str, score: Decimal | None, grade: str) -> str:
    """What a notice drafted by the month-end says: the month, the score and the grade, in
    Chinese and English."""
    shown = "—" if score is None else f"{score:.2f}"
    return (
        f"{month} 月度考核得分 {shown} 分，等级 {grade}。"
        "请分析原因，制定并落实整改措施，于整改期限前在系统中提交整改说明及佐证材料。\n"
        f"Monthly assessment {month}: score {shown}, grade {grade}. "
        "Analyse the causes, take corrective action and submit what was done, with evidence, "
        "in vendorgov before the deadline."
    )


def failed_in(timeline: NoticeTimeline, start: datetime, end: datetime) -> int:
    return sum(1 for t in timeline.failed_verifications if start <= t < end)


def audit_component(
    findings: dict[Severity, int], overdue_notices: int, failed_verifications: int
) -> Decimal:
    """100 − 20 per critical, − 5 per major, − 1 per minor finding (third-party audits and
    complaints in the month), − 10 per notice overdue at month-end, − 5 per failed verification
    in the month; never below 0 (§6)."""
    penalty = (
        20 * findings.get(Severity.critical, 0)
        + 5 * findings.get(Severity.major, 0)
        + findings.get(Severity.minor, 0)
        + 10 * overdue_notices
        + 5 * failed_verifications
    )
    return Decimal(max(0, 100 - penalty))


def months_of(spans: Iterable[tuple[date, date]]) -> list[str]:
    """The calendar months (YYYY-MM) the periods touch, in order: the scorecard months an
    auditor may read."""
    months: set[str] = set()
    for first, last in spans:
        year, month = first.year, first.month
        while (year, month) <= (last.year, last.month):
            months.add(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return sorted(months)
