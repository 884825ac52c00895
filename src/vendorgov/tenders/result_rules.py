"""Deadlines and limits of the results stage (§3a), plain functions, no I/O. Working days come
from the working-day calendar (workdays.rules), never from Monday to Friday by hand; a
deadline is a local day, met up to its end."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_DOWN, Decimal

from vendorgov.errors import Collector
from vendorgov.i18n import N_, _
from vendorgov.tenders.rules import is_amount
from vendorgov.workdays.rules import Calendar, add_working_days

# §3a, the defaults (settings may come later; the numbers are the regulations').
NOTICE_WORKING_DAYS = 2  # result notice within 2 working days of the award
CHALLENGE_WORKING_DAYS = 7  # challenges within 7 working days of the result notice
ANSWER_WORKING_DAYS = 7  # answered within 7 working days of filing
REFUND_WORKING_DAYS = 5  # bid security refunded within 5 working days
SECURITY_PERCENT = Decimal(2)  # bid security at most 2% of the budget ceiling
MAX_REFERENCE = 100
# How far ahead a calendar must reach to find the N-th working day after a day (the longest
# holiday, Spring Festival, is 8–9 days; 7 working days then span at most ~3 weeks).
CALENDAR_SPAN_DAYS = 45


def notice_due(awarded_on: date, calendar: Calendar) -> date:
    """The last day to publish the result notice: the 2nd working day after the award."""
    return add_working_days(calendar, awarded_on, NOTICE_WORKING_DAYS)


def challenge_deadline(notice_on: date, calendar: Calendar) -> date:
    """The last day a bidder may file a challenge: the 7th working day after the notice."""
    return add_working_days(calendar, notice_on, CHALLENGE_WORKING_DAYS)


def answer_due(filed_on: date, calendar: Calendar) -> date:
    """The last day to answer a challenge: the 7th working day after it was filed."""
    return add_working_days(calendar, filed_on, ANSWER_WORKING_DAYS)


def refund_due(since: date, calendar: Calendar) -> date:
    """The last day to refund a bid security: the 5th working day after the award notice
    (losing bidders) or the contract's signing (the winner)."""
    return add_working_days(calendar, since, REFUND_WORKING_DAYS)


def is_overdue(due: date | None, today: date, done: bool = False) -> bool:
    return due is not None and not done and today > due


def max_security(ceiling: Decimal) -> Decimal:
    """2% of the budget ceiling, in cents rounded down (the most that may be asked)."""
    return (ceiling * SECURITY_PERCENT / 100).quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def security_errors(amount: Decimal | None, ceiling: Decimal | None, errors: Collector) -> None:
    """The bid security a tender asks: 0 (none) up to 2% of the budget ceiling, in cents."""
    if amount is None:
        return
    if not is_amount(amount) or amount < 0:
        errors.add("bid_security", "cents", _("Bid security: 0 or more, with at most 2 decimals."))
        return
    if ceiling is not None and is_amount(ceiling) and ceiling > 0:
        most = max_security(ceiling)
        if amount > most:
            errors.add(
                "bid_security",
                "max_percent",
                _(
                    "Bid security: at most %(percent)s%% of the budget ceiling, that is "
                    "%(most)s (§3a).",
                    percent=SECURITY_PERCENT,
                    most=most,
                ),
            )


# The fields these rules check, as their messages name them.
_LABELS = {
    "reference": N_("Payment reference"),
    "received_on": N_("Received on"),
    "refunded_on": N_("Refunded on"),
}


def _label(field: str) -> str:
    return _(_LABELS[field]) if field in _LABELS else field


def reference_errors(field: str, text: str, errors: Collector) -> str:
    text = (text or "").strip()
    if not text or len(text) > MAX_REFERENCE:
        errors.add(
            field,
            "required",
            _(
                "%(label)s: give the bank or receipt reference (1 to %(max)s characters).",
                label=_label(field),
                max=MAX_REFERENCE,
            ),
        )
    return text


def day_errors(field: str, day: date | None, today: date, errors: Collector, earliest=None):
    if day is None:
        errors.add(
            field, "required", _("%(label)s: give the date (YYYY-MM-DD).", label=_label(field))
        )
    elif day > today:
        errors.add(
            field, "not_future", _("%(label)s: cannot be in the future.", label=_label(field))
        )
    elif earliest is not None and day < earliest:
        errors.add(
            field,
            "after",
            _(
                "%(label)s: cannot be before %(day)s.",
                label=_label(field),
                day=earliest.isoformat(),
            ),
        )
