"""Vendor disputes of a computed month (§7) with no I/O: when the dispute window closes, and
which lines of a statement may be disputed."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from vendorgov import exact
from vendorgov.money import cents
from vendorgov.workdays.rules import Calendar, add_working_days

MAX_REASON = 2000
MAX_EVIDENCE_FILES = 10


def window_closes(
    computed_at: datetime, working_days: int, zone: ZoneInfo, calendar: Calendar
) -> datetime:
    """The window runs to the end (local midnight) of the Nth working day (on the working-day
    calendar, §3a) after the day the run was computed. 0 days means no window at all."""
    if working_days <= 0:
        return computed_at
    day = add_working_days(calendar, computed_at.astimezone(zone).date(), working_days)
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=zone).astimezone(UTC)


def disputable_lines(statement: dict, component_labels: dict, line_labels: dict) -> dict[str, str]:
    """key → what the vendor disputes: each score component with data and each money line."""
    options = {}
    for key, (english, chinese) in component_labels.items():
        value = statement["components"].get(key)
        if value is not None:
            # Components are stored exact (text of a fraction); the statement shows 2 decimals.
            shown = exact.rounded(exact.parse(str(value)))
            options[f"component:{key}"] = f"{chinese} {english} component: {shown}"
    for index, line in enumerate(statement["lines"]):
        english, chinese = line_labels[line["kind"]]
        amount = cents(line["amount"])
        options[f"line:{index}"] = f"{chinese} {english}: {line['description']} ({amount:,})" + (
            f" · {', '.join(line['evidence'])}" if line["evidence"] else ""
        )
    return options
