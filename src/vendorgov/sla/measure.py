"""Measuring SLA clauses for a month (domain rules §5 and the SLA component of §6), with pandas
and no I/O.

Events arrive as a DataFrame with UTC timestamps; months are calendar months in the hospital's
zone. Every event is measured against the clauses of the contract version in force on the
(local) day it was reported. A month's measurement uses the events reported in that month,
except that for the two `_within` kinds an event with no response (resolution) at the month's
end whose age then is still within the threshold moves to the following month. An event
measured in a month that has no response (resolution) by that month's end is a miss. The
outcome depends only on timestamps, so recomputing later gives the same result.

Where an amendment changes a clause mid-month, the events before and after are measured against
their own version: the clause has one result per version, and each result's weight in the SLA
component is the clause weight times its share of that clause's events in the month.
`p90_response_minutes` uses the nearest-rank 90th percentile (the ⌈0.9·n⌉-th smallest value).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from vendorgov.contracts.rules import CLAUSE_KINDS, Clause, ClauseKind
from vendorgov.errors import InvalidInput

EVENT_COLUMNS = [
    "category",
    "priority",
    "reported_at",
    "responded_at",
    "resolved_at",
    "satisfaction",
    "complaint",
]
TWO = Decimal("0.01")


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
    version_id: int
    version_number: int
    code: str
    name: str
    kind: str
    events: int
    attained: Decimal
    target: Decimal
    minimum: Decimal
    weight: Decimal
    share: Decimal  # of this clause's events in the month measured under this version
    score: Decimal
    met: bool
    missed_event_ids: list[int]


def clause_score(kind: str, attained: Decimal, target: Decimal, minimum: Decimal) -> Decimal:
    """100 when the target is met, 0 at or beyond the minimum, linear in between (§6)."""
    higher = CLAUSE_KINDS[ClauseKind(kind)]["higher_is_better"]
    if (attained >= target) if higher else (attained <= target):
        return Decimal(100)
    if (attained <= minimum) if higher else (attained >= minimum):
        return Decimal(0)
    return Decimal(100) * (attained - minimum) / (target - minimum)


def sla_component(results: Sequence[ClauseResult]) -> Decimal | None:
    """Weighted mean of clause scores over clauses with events, 2 decimals; None if none."""
    weights = [r.weight * r.share for r in results if r.events > 0]
    if not weights or sum(weights) == 0:
        return None
    total = sum(r.weight * r.share * r.score for r in results if r.events > 0)
    return (total / sum(weights)).quantize(TWO, rounding=ROUND_HALF_UP)


def nearest_rank_p90(values: np.ndarray) -> float:
    ordered = np.sort(values)
    return float(ordered[math.ceil(0.9 * len(ordered)) - 1])


def _dec(value: float) -> Decimal:
    """Attained values are ratios of counts or minute measures: keep 4 decimals."""
    return Decimal(repr(float(value))).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def assign_versions(
    events: pd.DataFrame, versions: Sequence[VersionClauses], zone: ZoneInfo
) -> pd.Series:
    """Index into `versions` of the version in force on each event's local report day
    (-1 when none was signed yet)."""
    ordered = sorted(range(len(versions)), key=lambda i: versions[i].effective_from)
    starts = np.array(
        [np.datetime64(versions[i].effective_from) for i in ordered], dtype="datetime64[D]"
    )
    local_days = (
        events["reported_at"]
        .dt.tz_convert(zone)
        .dt.tz_localize(None)
        .values.astype("datetime64[D]")
    )
    position = np.searchsorted(starts, local_days, side="right") - 1
    mapped = np.where(position >= 0, np.array(ordered + [-1])[position], -1)
    return pd.Series(mapped, index=events.index)


def measure_month(
    events: pd.DataFrame, versions: Sequence[VersionClauses], month: Month, zone: ZoneInfo
) -> list[ClauseResult]:
    """Clause results of one contract for one month.

    `events` has an `id` column and EVENT_COLUMNS; timestamps are tz-aware UTC (NaT when
    empty), `satisfaction` a float with NaN when unrated, `complaint` a bool. Pass the events
    reported in the month and the month before (shifted `_within` events come from there).
    """
    start, end = month.start_utc(zone), month.end_utc(zone)
    previous_start = month.previous().start_utc(zone)
    events = events[(events["reported_at"] >= previous_start) & (events["reported_at"] < end)]
    version_index = assign_versions(events, versions, zone)
    in_month = (events["reported_at"] >= start).to_numpy()
    from_previous = ~in_month
    age_at_start_min = ((start - events["reported_at"]).dt.total_seconds() / 60).to_numpy()
    age_at_end_min = ((end - events["reported_at"]).dt.total_seconds() / 60).to_numpy()

    raw: list[tuple[int, Clause, np.ndarray, Decimal, list[int]]] = []
    for index, version in enumerate(versions):
        of_version = (version_index == index).to_numpy()
        if not of_version.any():
            continue
        for clause in version.clauses:
            selected = of_version.copy()
            if clause.category:
                selected &= (events["category"] == clause.category).to_numpy()
            if clause.priority:
                selected &= (events["priority"] == clause.priority).to_numpy()
            measured = _measure_clause(
                events,
                clause,
                selected,
                in_month,
                from_previous,
                age_at_start_min,
                age_at_end_min,
                start,
                end,
            )
            if measured is not None:
                raw.append((index, clause, *measured))

    totals: dict[str, int] = {}
    for _, clause, mask, _, _ in raw:
        totals[clause.code] = totals.get(clause.code, 0) + int(mask.sum())
    results = []
    for index, clause, mask, attained, missed in raw:
        version = versions[index]
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
                share=Decimal(int(mask.sum())) / Decimal(totals[clause.code]),
                score=score.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP),
                met=score == 100,
                missed_event_ids=missed,
            )
        )
    return results


def _measure_clause(
    events: pd.DataFrame,
    clause: Clause,
    selected: np.ndarray,
    in_month: np.ndarray,
    from_previous: np.ndarray,
    age_at_start: np.ndarray,
    age_at_end: np.ndarray,
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> tuple[np.ndarray, Decimal, list[int]] | None:
    """(mask of events measured, attained value, ids of missed events), or None when the
    clause has no event in the month (it is then left out)."""
    kind = ClauseKind(clause.kind)
    ids = events["id"].to_numpy()
    if kind in (ClauseKind.response_within, ClauseKind.resolution_within):
        column = "responded_at" if kind is ClauseKind.response_within else "resolved_at"
        done = events[column]
        threshold = float(clause.threshold_minutes or 0)
        # Not done when a month ended and still within the threshold: measured in the next.
        open_at_start = (done.isna() | (done >= start)).to_numpy()
        shifted_in = from_previous & open_at_start & (age_at_start <= threshold)
        open_at_end = (done.isna() | (done >= end)).to_numpy()
        shifted_out = in_month & open_at_end & (age_at_end <= threshold)
        mask = selected & ((in_month & ~shifted_out) | shifted_in)
        if not mask.any():
            return None
        minutes = ((done - events["reported_at"]).dt.total_seconds() / 60).to_numpy()
        hit = mask & ~open_at_end & (minutes <= threshold)
        return mask, _dec(100 * hit.sum() / mask.sum()), ids[mask & ~hit].tolist()
    mask = selected & in_month
    if not mask.any():
        return None
    if kind is ClauseKind.p90_response_minutes:
        responded = events["responded_at"]
        minutes = ((responded - events["reported_at"]).dt.total_seconds() / 60).to_numpy()
        open_at_end = (responded.isna() | (responded >= end)).to_numpy()
        measure = np.where(open_at_end, age_at_end, minutes)[mask]
        p90 = nearest_rank_p90(measure)
        slow = mask & (np.where(open_at_end, age_at_end, minutes) > float(clause.target))
        return mask, _dec(p90), ids[slow].tolist()
    if kind is ClauseKind.satisfaction_rate:
        rated = mask & events["satisfaction"].notna().to_numpy()
        if not rated.any():
            return None
        happy = rated & (events["satisfaction"].fillna(0).to_numpy() >= 4)
        return rated, _dec(100 * happy.sum() / rated.sum()), ids[rated & ~happy].tolist()
    complaints = mask & events["complaint"].fillna(False).to_numpy().astype(bool)
    return mask, Decimal(int(complaints.sum())), ids[complaints].tolist()
