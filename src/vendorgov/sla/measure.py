"""Measuring SLA clauses for a month (domain rules §5 and the SLA component of §6), with pandas
and no I/O.

Events arrive as a DataFrame with UTC timestamps; months are calendar months in the hospital's
zone. Every event is measured against the clauses of the contract version in force on the
(local) day it was reported. A month's measurement uses the events reported in that month,
except that for the two `_within` kinds an event with no response (resolution) at the month's
end whose age then is still within the threshold moves to the following month. An event
measured in a month that has no response (resolution) by that month's end is a miss. The
outcome depends only on timestamps, so recomputing later gives the same result.

Where an amendment changes a clause mid-month, each event is judged (hit or miss, its minutes)
by the threshold and filters of the version in force when it was reported; the clause's
attainment is then pooled over all its events of the month by its code (one share, one 90th
percentile, one count) and scored with the target, minimum and weight of the latest version in
force that month which has it (§6). Attainments, clause scores and the component are exact
fractions: only the assessment score is rounded.
`p90_response_minutes` uses the nearest-rank 90th percentile (the ⌈0.9·n⌉-th smallest value).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from vendorgov.contracts.rules import CLAUSE_KINDS, Clause, ClauseKind
from vendorgov.errors import InvalidInput
from vendorgov.exact import Exact

EVENT_COLUMNS = [
    "category",
    "priority",
    "reported_at",
    "responded_at",
    "resolved_at",
    "satisfaction",
    "complaint",
]


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """'2026-10' → Month(2026, 10); ValueError with the reason otherwise."""
        try:
            year, month = (int(part) for part in text.split("-"))
        except ValueError:
            raise ValueError(f"{text!r} is not a month (YYYY-MM)") from None
        if not 1 <= month <= 12 or not 2000 <= year <= 2100:
            raise ValueError(f"{text!r} is not a month (YYYY-MM)")
        return cls(year, month)

    @classmethod
    def from_input(cls, text: str, field: str = "month") -> Month:
        """Month.parse for what a user sent: a 4xx naming the field instead of ValueError."""
        try:
            return cls.parse(text)
        except ValueError as error:
            raise InvalidInput.single(field, "format", str(error)) from None

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def start_utc(self, zone: ZoneInfo) -> pd.Timestamp:
        """The instant the month begins in the hospital's zone, as a UTC timestamp."""
        return pd.Timestamp(datetime.combine(self.first_day, time(0), zone)).tz_convert("UTC")

    def end_utc(self, zone: ZoneInfo) -> pd.Timestamp:
        return self.next().start_utc(zone)


@dataclass(frozen=True)
class VersionClauses:
    """A signed version's clauses and the local day it takes effect."""

    version_id: int
    version_number: int
    effective_from: date
    clauses: Sequence[Clause]


@dataclass
class ClauseResult:
    """A clause's month, pooled over the events of every version that governed them."""

    version_id: int  # the version whose target, minimum and weight score the clause
    version_number: int
    code: str
    name: str
    kind: str
    events: int
    attained: Fraction
    target: Decimal
    minimum: Decimal
    weight: Decimal
    score: Fraction
    met: bool
    missed_event_ids: list[int]


def clause_score(kind: str, attained: Exact, target: Exact, minimum: Exact) -> Fraction:
    """100 when the target is met, 0 at or beyond the minimum, linear in between (§6), exact."""
    attained, target, minimum = Fraction(attained), Fraction(target), Fraction(minimum)
    higher = CLAUSE_KINDS[ClauseKind(kind)]["higher_is_better"]
    if (attained >= target) if higher else (attained <= target):
        return Fraction(100)
    if (attained <= minimum) if higher else (attained >= minimum):
        return Fraction(0)
    return 100 * (attained - minimum) / (target - minimum)


def sla_component(results: Sequence[ClauseResult]) -> Fraction | None:
    """Weighted mean of the clause scores over clauses with events, exact; None if none."""
    counted = [r for r in results if r.events > 0]
    weights = sum((Fraction(r.weight) for r in counted), Fraction(0))
    if weights == 0:
        return None
    return sum((Fraction(r.weight) * r.score for r in counted), Fraction(0)) / weights


def nearest_rank_p90(values: np.ndarray):
    ordered = np.sort(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


NS_PER_MINUTE = 60_000_000_000


def _instants(times: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """UTC instants as whole nanoseconds since the epoch (exact), and where they are empty."""
    return times.dt.as_unit("ns").array.asi8, times.isna().to_numpy()


def assign_versions(
    reported: np.ndarray, versions: Sequence[VersionClauses], zone: ZoneInfo
) -> np.ndarray:
    """Index into `versions` of the version in force on each event's local report day
    (-1 when none was signed yet); `reported` holds UTC nanoseconds."""
    ordered = sorted(range(len(versions)), key=lambda i: versions[i].effective_from)
    starts = np.array(
        [np.datetime64(versions[i].effective_from) for i in ordered], dtype="datetime64[D]"
    )
    local = pd.DatetimeIndex(reported.view("datetime64[ns]"), tz="UTC").tz_convert(zone)
    local_days = local.tz_localize(None).values.astype("datetime64[D]")
    position = np.searchsorted(starts, local_days, side="right") - 1
    return np.where(position >= 0, np.array(ordered + [-1])[position], -1)


@dataclass
class _Events:
    """The month's events as plain arrays, read once: the clauses of every version measure
    them (pandas per clause cost more than the measuring, over a thousand contracts)."""

    ids: np.ndarray
    category: np.ndarray
    priority: np.ndarray
    reported: np.ndarray  # nanoseconds since the epoch, UTC
    done: dict[str, tuple[np.ndarray, np.ndarray]]  # responded_at/resolved_at: (ns, empty)
    satisfaction: np.ndarray  # NaN when unrated
    complaint: np.ndarray
    start: int
    end: int
    in_month: np.ndarray

    def take(self, keep: np.ndarray) -> _Events:
        return replace(
            self,
            ids=self.ids[keep],
            category=self.category[keep],
            priority=self.priority[keep],
            reported=self.reported[keep],
            done={c: (ns[keep], empty[keep]) for c, (ns, empty) in self.done.items()},
            satisfaction=self.satisfaction[keep],
            complaint=self.complaint[keep],
            in_month=self.in_month[keep],
        )

    @classmethod
    def of(cls, events: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> _Events:
        reported, _ = _instants(events["reported_at"])
        return cls(
            ids=events["id"].to_numpy(),
            category=events["category"].to_numpy(),
            priority=events["priority"].to_numpy(),
            reported=reported,
            done={c: _instants(events[c]) for c in ("responded_at", "resolved_at")},
            satisfaction=events["satisfaction"].to_numpy(dtype="float64", na_value=np.nan),
            complaint=events["complaint"].fillna(False).to_numpy().astype(bool),
            start=start.value,
            end=end.value,
            in_month=reported >= start.value,
        )


def _scoring_versions(versions: Sequence[VersionClauses], month: Month) -> dict:
    """(code, kind) → (version, clause) of the latest version in force by the month's end that
    has the clause: its target, minimum and weight score the month (§6)."""
    chosen: dict[tuple[str, str], tuple[VersionClauses, Clause]] = {}
    for version in sorted(versions, key=lambda v: v.effective_from):
        if version.effective_from < month.next().first_day:
            for clause in version.clauses:
                chosen[(clause.code, clause.kind)] = (version, clause)
    return chosen


def measure_month(
    events: pd.DataFrame, versions: Sequence[VersionClauses], month: Month, zone: ZoneInfo
) -> list[ClauseResult]:
    """Clause results of one contract for one month, one per clause code.

    `events` has an `id` column and EVENT_COLUMNS; timestamps are tz-aware UTC (NaT when
    empty), `satisfaction` a float with NaN when unrated, `complaint` a bool. Pass the events
    reported in the month and the month before (shifted `_within` events come from there).
    """
    start, end = month.start_utc(zone), month.end_utc(zone)
    arrays = _Events.of(events, start, end)
    arrays = arrays.take(
        (arrays.reported >= month.previous().start_utc(zone).value) & (arrays.reported < end.value)
    )
    version_index = assign_versions(arrays.reported, versions, zone)
    # Each event judged by its own version's clause; judgements pooled by clause code.
    pooled: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
    for index, version in enumerate(versions):
        of_version = version_index == index
        if not of_version.any():
            continue
        for clause in version.clauses:
            selected = of_version.copy()
            if clause.category:
                selected &= arrays.category == clause.category
            if clause.priority:
                selected &= arrays.priority == clause.priority
            mask, value = _judge(arrays, clause, selected)
            key = (clause.code, clause.kind)
            if key in pooled:
                before_mask, before_value = pooled[key]
                mask, value = before_mask | mask, np.where(mask, value, before_value)
            pooled[key] = (mask, value)
    scoring = _scoring_versions(versions, month)
    results = []
    for key, (mask, value) in pooled.items():
        if not mask.any():
            continue
        version, clause = scoring[key]
        attained, missed = _attainment(clause, mask, value)
        score = clause_score(clause.kind, attained, clause.target, clause.minimum)
        results.append(
            ClauseResult(
                version_id=version.version_id,
                version_number=version.version_number,
                code=clause.code,
                name=clause.name,
                kind=clause.kind,
                events=int(mask.sum()),
                attained=attained,
                target=clause.target,
                minimum=clause.minimum,
                weight=clause.weight,
                score=score,
                met=score == 100,
                missed_event_ids=arrays.ids[missed].tolist(),
            )
        )
    return sorted(results, key=lambda r: r.code)


def _judge(events: _Events, clause: Clause, selected: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The events this clause (of one version) measures in the month, and its judgement of
    each: hit (the `_within` kinds), minutes as nanoseconds (p90), satisfied (among the rated
    events), complaint."""
    kind = ClauseKind(clause.kind)
    in_month = events.in_month
    if kind in (ClauseKind.response_within, ClauseKind.resolution_within):
        column = "responded_at" if kind is ClauseKind.response_within else "resolved_at"
        done, empty = events.done[column]
        threshold = (clause.threshold_minutes or 0) * NS_PER_MINUTE
        # Not done when a month ended and still within the threshold: measured in the next.
        open_at_start = empty | (done >= events.start)
        shifted_in = ~in_month & open_at_start & (events.start - events.reported <= threshold)
        open_at_end = empty | (done >= events.end)
        shifted_out = in_month & open_at_end & (events.end - events.reported <= threshold)
        mask = selected & ((in_month & ~shifted_out) | shifted_in)
        return mask, ~open_at_end & (done - events.reported <= threshold)
    mask = selected & in_month
    if kind is ClauseKind.p90_response_minutes:
        done, empty = events.done["responded_at"]
        open_at_end = empty | (done >= events.end)
        return mask, np.where(open_at_end, events.end, done) - events.reported
    if kind is ClauseKind.satisfaction_rate:
        rated = ~np.isnan(events.satisfaction)
        return mask & rated, np.nan_to_num(events.satisfaction) >= 4
    return mask, events.complaint


def _attainment(clause: Clause, mask: np.ndarray, value: np.ndarray) -> tuple[Fraction, np.ndarray]:
    """The pooled attainment (exact: a share in percent, minutes, a count) and the mask of the
    events that fell short of it."""
    kind = ClauseKind(clause.kind)
    if kind is ClauseKind.p90_response_minutes:
        p90 = int(nearest_rank_p90(value[mask]))
        slow = mask & (value > math.floor(Fraction(clause.target) * NS_PER_MINUTE))
        return Fraction(p90, NS_PER_MINUTE), slow
    if kind is ClauseKind.complaint_count:
        complaints = mask & value
        return Fraction(int(complaints.sum())), complaints
    good = mask & value.astype(bool)
    return Fraction(100 * int(good.sum()), int(mask.sum())), mask & ~good
