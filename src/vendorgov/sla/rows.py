"""Reading service events from CSV/XLSX or JSON into checked rows (domain rules §5), no I/O.

Columns (the downloadable template has them in this order):

| column | required | format |
|---|---|---|
| external_id | yes | the help desk's ticket id, unique per contract |
| category | yes | free text used by clause filters, e.g. repair, delivery, cleaning |
| priority | yes | emergency, urgent or routine (紧急, 加急, 常规 accepted) |
| location | no | ward, floor, room |
| reported_at | yes | a time: ISO 8601 with offset (2026-10-01T00:30:00+08:00, …Z) or a local |
| responded_at | no | hospital time without offset (2026-10-01 00:30[:00]); same format |
| resolved_at | no | same format; not before reported_at |
| satisfaction | no | 1–5 |
| complaint | no | yes/no, true/false, 1/0, 是/否; empty is no |

A time without offset is read in the hospital's zone; every time is stored in UTC.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

COLUMNS = [
    "external_id",
    "category",
    "priority",
    "location",
    "reported_at",
    "responded_at",
    "resolved_at",
    "satisfaction",
    "complaint",
]
REQUIRED = ("external_id", "category", "priority", "reported_at")
PRIORITY_ALIASES = {
    "emergency": "emergency",
    "urgent": "urgent",
    "routine": "routine",
    "紧急": "emergency",
    "加急": "urgent",
    "常规": "routine",
}
TRUE = {"1", "true", "yes", "y", "是", "t"}
FALSE = {"", "0", "false", "no", "n", "否", "f"}
_LOCAL_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
)


@dataclass(frozen=True)
class RowError:
    row: int  # 1-based data row (the header is row 0), or the index in a JSON batch
    column: str
    rule: str
    message: str


@dataclass
class EventRow:
    external_id: str
    category: str
    priority: str
    location: str
    reported_at: datetime
    responded_at: datetime | None
    resolved_at: datetime | None
    satisfaction: int | None
    complaint: bool


@dataclass
class Parsed:
    rows: list[EventRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    # Notes that change nothing: an external id repeated in one file (the later row wins).
    notes: list[str] = field(default_factory=list)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value != value:  # NaN from an empty spreadsheet cell
        return ""
    return str(value).strip()


def parse_instant(value: Any, zone: ZoneInfo) -> datetime:
    """A UTC datetime from an aware value, an ISO text with offset, or a local text/value."""
    if isinstance(value, datetime):
        moment = value
    else:
        text = _text(value).replace("Z", "+00:00")
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            for fmt in _LOCAL_FORMATS:
                try:
                    moment = datetime.strptime(text, fmt)
                    break
                except ValueError:
                    continue
            else:
                raise ValueError(
                    f"{text!r} is not a time (e.g. 2026-10-01 08:30 or 2026-10-01T08:30:00+08:00)"
                ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def parse_rows(records: Iterable[dict[str, Any]], zone: ZoneInfo) -> Parsed:
    """Check every record; keep the good ones, list every broken rule with row and column."""
    result = Parsed()
    by_id: dict[str, int] = {}
    chosen: dict[str, EventRow] = {}
    for number, record in enumerate(records, start=1):
        errors = len(result.errors)

        def bad(column: str, rule: str, message: str, number: int = number) -> None:
            result.errors.append(RowError(number, column, rule, message))

        values = {c: _text(record.get(c)) for c in COLUMNS}
        for column in REQUIRED:
            if not values[column]:
                bad(column, "required", "is required")
        priority = PRIORITY_ALIASES.get(values["priority"].lower())
        if values["priority"] and priority is None:
            bad("priority", "one_of", "must be emergency, urgent or routine")
        times: dict[str, datetime | None] = {}
        for column in ("reported_at", "responded_at", "resolved_at"):
            raw = record.get(column)
            if not _text(raw) and not isinstance(raw, datetime):
                times[column] = None
                continue
            try:
                times[column] = parse_instant(raw, zone)
            except ValueError as error:
                bad(column, "time", str(error))
                times[column] = None
        reported = times["reported_at"]
        for column in ("responded_at", "resolved_at"):
            if reported and times[column] and times[column] < reported:
                bad(column, "not_before_reported", f"{column} is before reported_at")
        satisfaction = None
        if values["satisfaction"]:
            try:
                satisfaction = int(float(values["satisfaction"]))
                if satisfaction != float(values["satisfaction"]) or not 1 <= satisfaction <= 5:
                    raise ValueError
            except ValueError:
                bad("satisfaction", "range_1_5", "must be a whole number from 1 to 5")
        flag = values["complaint"].lower()
        if flag not in TRUE | FALSE:
            bad("complaint", "boolean", "use yes/no, true/false, 1/0 or 是/否")
        if len(values["external_id"]) > 100:
            bad("external_id", "max_length", "must be at most 100 characters")
        if len(result.errors) > errors:
            continue
        row = EventRow(
            external_id=values["external_id"],
            category=values["category"],
            priority=priority,
            location=values["location"],
            reported_at=reported,
            responded_at=times["responded_at"],
            resolved_at=times["resolved_at"],
            satisfaction=satisfaction,
            complaint=flag in TRUE,
        )
        if row.external_id in by_id:
            result.notes.append(
                f"row {number}: external_id {row.external_id} repeats row "
                f"{by_id[row.external_id]}; the later row wins"
            )
        by_id[row.external_id] = number
        chosen[row.external_id] = row
    result.rows = list(chosen.values())
    return result
