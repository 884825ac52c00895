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
from collections.abc import Mapping, Sequence
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
from vendorgov.i18n import _

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
        except ValueError:
            raise InvalidInput.single(
                field,
                "format",
                _("Month: “%(value)s” is not a month; write it as 2026-10.", value=text),
            ) from None

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


_KINDS = list(ClauseKind)
_RESPONSE, _RESOLUTION, _P90, _SATISFACTION, _COMPLAINTS = (
    _KINDS.index(k)
    for k in (
        ClauseKind.response_within,
        ClauseKind.resolution_within,
        ClauseKind.p90_response_minutes,
        ClauseKind.satisfaction_rate,
        ClauseKind.complaint_count,
    )
)
# Filter codes of a clause: any value, or a value no event has.
_ANY, _NONE = -2, -3
# Versions are found by (contract, local day) packed in one integer: the day (days since the
# epoch, shifted positive) takes the low bits.
_DAY_BITS, _DAY_SHIFT = 20, 1 << 17


@dataclass
class _Events:
    """The month's events of every contract as plain arrays, read once: every clause of every
    contract measures them in whole-array operations (pandas per contract cost 9 ms each, more
    than the measuring, over two thousand contracts)."""

    ids: np.ndarray
    contract: np.ndarray  # dense index of the event's contract, -1 for one without versions
    category: np.ndarray  # codes of _Filters
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
            contract=self.contract[keep],
            category=self.category[keep],
            priority=self.priority[keep],
            reported=self.reported[keep],
            done={c: (ns[keep], empty[keep]) for c, (ns, empty) in self.done.items()},
            satisfaction=self.satisfaction[keep],
            complaint=self.complaint[keep],
            in_month=self.in_month[keep],
        )

    @classmethod
    def of(
        cls, events: pd.DataFrame, contracts: pd.Index, month: Month, zone: ZoneInfo
    ) -> tuple[_Events, _Filters]:
        """The events reported in the month or the month before (shifted `_within` events
        come from there), and the codes their categories and priorities got."""
        start, end = month.start_utc(zone).value, month.end_utc(zone).value
        reported, _ = _instants(events["reported_at"])
        category, categories = pd.factorize(events["category"])
        priority, priorities = pd.factorize(events["priority"])
        arrays = cls(
            ids=events["id"].to_numpy(),
            contract=contracts.get_indexer(events["contract"]),
            category=category,
            priority=priority,
            reported=reported,
            done={c: _instants(events[c]) for c in ("responded_at", "resolved_at")},
            satisfaction=events["satisfaction"].to_numpy(dtype="float64", na_value=np.nan),
            complaint=events["complaint"].fillna(False).to_numpy().astype(bool),
            start=start,
            end=end,
            in_month=reported >= start,
        )
        window = (reported >= month.previous().start_utc(zone).value) & (reported < end)
        return arrays.take(window), _Filters(categories, priorities)


class _Filters:
    """The codes of the events' distinct categories and priorities (their positions)."""

    def __init__(self, categories: pd.Index, priorities: pd.Index):
        self.codes_of = [
            {v: i for i, v in enumerate(values)} for values in (categories, priorities)
        ]

    def codes(self, clause: Clause) -> tuple[int, int]:
        """A clause's filters as codes: any value, a value's code, or one no event has."""
        return tuple(
            codes.get(value, _NONE) if value else _ANY
            for codes, value in zip(self.codes_of, (clause.category, clause.priority), strict=True)
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


@dataclass
class _Clauses:
    """Every signed version of every contract and their clauses, flattened into arrays. A
    clause is pooled by its contract, code and kind: its key."""

    version_key: np.ndarray  # (contract index, first local day) packed, ascending
    version_of_key: np.ndarray  # the version (in first_clause order) of each version_key
    first_clause: np.ndarray  # per version: its first clause's position, and its count
    clause_count: np.ndarray
    kind: np.ndarray  # per clause: index in _KINDS
    category: np.ndarray  # filter codes (_Filters)
    priority: np.ndarray
    threshold: np.ndarray  # nanoseconds (the `_within` kinds)
    key: np.ndarray
    keys: list[tuple[int, str, str]]  # key → (contract index, code, kind)
    scoring: list[dict]  # per contract index: _scoring_versions()

    @classmethod
    def of(
        cls,
        contracts: pd.Index,
        versions: Mapping[int, Sequence[VersionClauses]],
        month: Month,
        filters: _Filters,
    ) -> _Clauses:
        version_keys: list[int] = []
        first: list[int] = []
        counts: list[int] = []
        rows: list[tuple[int, ...]] = []
        keys: dict[tuple[int, str, str], int] = {}
        scoring = []
        for index, contract_id in enumerate(contracts):
            own = versions[contract_id]
            scoring.append(_scoring_versions(own, month))
            for version in own:
                day = (version.effective_from - _EPOCH).days + _DAY_SHIFT
                version_keys.append((index << _DAY_BITS) + day)
                first.append(len(rows))
                counts.append(len(version.clauses))
                for clause in version.clauses:
                    key = keys.setdefault((index, clause.code, clause.kind), len(keys))
                    kind = _KINDS.index(ClauseKind(clause.kind))
                    threshold = (clause.threshold_minutes or 0) * NS_PER_MINUTE
                    rows.append((kind, *filters.codes(clause), threshold, key))
        packed = np.array(version_keys, dtype=np.int64)
        # Stable: of versions taking effect the same day, the later one in the list governs.
        order = np.argsort(packed, kind="stable")
        table = np.array(rows, dtype=np.int64).reshape(-1, 5)
        return cls(
            version_key=packed[order],
            version_of_key=order,
            first_clause=np.array(first, dtype=np.int64),
            clause_count=np.array(counts, dtype=np.int64),
            kind=table[:, 0],
            category=table[:, 1],
            priority=table[:, 2],
            threshold=table[:, 3],
            key=table[:, 4],
            keys=list(keys),
            scoring=scoring,
        )


_EPOCH = date(1970, 1, 1)


def _versions_in_force(events: _Events, clauses: _Clauses, zone: ZoneInfo) -> np.ndarray:
    """The version (in _Clauses order) in force on each event's local report day, -1 when none
    of its contract's was signed yet."""
    if not len(clauses.version_key):
        return np.full(len(events.ids), -1)
    local = pd.DatetimeIndex(events.reported.view("datetime64[ns]"), tz="UTC").tz_convert(zone)
    days = local.tz_localize(None).values.astype("datetime64[D]").astype(np.int64)
    wanted = (events.contract << _DAY_BITS) + days + _DAY_SHIFT
    position = np.searchsorted(clauses.version_key, wanted, side="right") - 1
    same = (position >= 0) & (events.contract >= 0)
    same &= clauses.version_key[position] >> _DAY_BITS == events.contract
    return np.where(same, clauses.version_of_key[position], -1)


@dataclass
class _Judged:
    """One row per (event, clause) where the clause measures the event: the pooled key, the
    clause's kind and its judgement (hit, satisfied or complaint as 0/1; p90: nanoseconds)."""

    event: np.ndarray
    key: np.ndarray
    kind: np.ndarray
    value: np.ndarray


def _judge(events: _Events, clauses: _Clauses, version: np.ndarray) -> _Judged:
    """Each event judged by every clause of its own version whose filters it passes: clauses
    are visited by their place in their version (first, second …), all versions of all
    contracts at once. Codes are unique within a version (contracts.rules), so pooling a key's
    judgements over the versions is putting their rows together."""
    counts = np.append(clauses.clause_count, 0)[version]  # -1 (no version): none
    parts = []
    for place in range(int(counts.max(initial=0))):
        event = np.flatnonzero(counts > place)
        clause = clauses.first_clause[version[event]] + place
        for wanted, actual in (
            (clauses.category, events.category),
            (clauses.priority, events.priority),
        ):
            passes = (wanted[clause] == _ANY) | (wanted[clause] == actual[event])
            event, clause = event[passes], clause[passes]
        mask, value = _judgement(events, event, clauses.kind[clause], clauses.threshold[clause])
        clause = clause[mask]
        parts.append((event[mask], clauses.key[clause], clauses.kind[clause], value[mask]))
    if not parts:
        return _Judged(*(np.zeros(0, dtype=np.int64) for _ in range(4)))
    return _Judged(*(np.concatenate(column) for column in zip(*parts, strict=True)))


def _judgement(
    events: _Events, event: np.ndarray, kind: np.ndarray, threshold: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Whether each (event, clause) counts in the month, and the clause's judgement of it."""
    reported, in_month = events.reported[event], events.in_month[event]
    start, end = events.start, events.end
    resolution = kind == _RESOLUTION
    responded, responded_empty = (a[event] for a in events.done["responded_at"])
    resolved, resolved_empty = (a[event] for a in events.done["resolved_at"])
    done = np.where(resolution, resolved, responded)
    empty = np.where(resolution, resolved_empty, responded_empty)
    open_at_end = empty | (done >= end)
    # The `_within` kinds: an event not done when a month ended and still within the
    # threshold then is measured in the next month.
    within = resolution | (kind == _RESPONSE)
    open_at_start = empty | (done >= start)
    shifted_in = ~in_month & open_at_start & (start - reported <= threshold)
    shifted_out = in_month & open_at_end & (end - reported <= threshold)
    satisfaction = events.satisfaction[event]
    mask = np.where(within, (in_month & ~shifted_out) | shifted_in, in_month)
    mask &= ~np.isnan(satisfaction) | (kind != _SATISFACTION)
    value = np.select(
        [within, kind == _P90, kind == _SATISFACTION],
        [
            ~open_at_end & (done - reported <= threshold),
            np.where(open_at_end, end, done) - reported,
            np.nan_to_num(satisfaction) >= 4,
        ],
        events.complaint[event],
    )
    return mask, value


def measure_months(
    events: pd.DataFrame,
    versions: Mapping[int, Sequence[VersionClauses]],
    month: Month,
    zone: ZoneInfo,
) -> dict[int, list[ClauseResult]]:
    """Clause results of every contract for one month (one per clause code, by code), by
    contract id, measured in whole-array operations over all contracts at once.

    `events` has `contract`, `id` and EVENT_COLUMNS; timestamps are tz-aware UTC (NaT when
    empty), `satisfaction` a float with NaN when unrated, `complaint` a bool. Pass the events
    reported in the month and the month before (shifted `_within` events come from there).
    `versions` holds each contract's signed versions."""
    contracts = pd.Index(list(versions), dtype=np.int64)
    arrays, filters = _Events.of(events, contracts, month, zone)
    clauses = _Clauses.of(contracts, versions, month, filters)
    judged = _judge(arrays, clauses, _versions_in_force(arrays, clauses, zone))
    return _results(contracts, arrays, clauses, judged)


def measure_month(
    events: pd.DataFrame, versions: Sequence[VersionClauses], month: Month, zone: ZoneInfo
) -> list[ClauseResult]:
    """Clause results of one contract for one month: measure_months() of it alone."""
    return measure_months(events.assign(contract=0), {0: versions}, month, zone)[0]


def _results(
    contracts: pd.Index, events: _Events, clauses: _Clauses, judged: _Judged
) -> dict[int, list[ClauseResult]]:
    """Each key's judgements pooled over its versions (one share, one 90th percentile, one
    count) and scored with the scoring version's clause (§6)."""
    size = len(clauses.keys)
    counted = np.bincount(judged.key, minlength=size)
    p90 = judged.kind == _P90
    good = np.bincount(judged.key, weights=np.where(p90, 0, judged.value), minlength=size)
    percentiles = _percentiles(judged.key[p90], judged.value[p90], size)
    scoring = {}
    limit = np.zeros(size, dtype=np.int64)  # p90: beyond the target, in nanoseconds
    for key in np.flatnonzero(counted).tolist():
        index, code, kind = clauses.keys[key]
        scoring[key] = clauses.scoring[index][(code, kind)]
        if kind == ClauseKind.p90_response_minutes:
            limit[key] = math.floor(Fraction(scoring[key][1].target) * NS_PER_MINUTE)
    missed = np.where(
        p90,
        judged.value > limit[judged.key],
        judged.value == (judged.kind == _COMPLAINTS),  # a complaint, or not good
    )
    missed_ids = _ids_by_key(events, judged, missed, size)
    results: dict[int, list[ClauseResult]] = {int(cid): [] for cid in contracts}
    for key, (version, clause) in scoring.items():
        kind = ClauseKind(clause.kind)
        if kind is ClauseKind.p90_response_minutes:
            attained = Fraction(percentiles[key], NS_PER_MINUTE)
        elif kind is ClauseKind.complaint_count:
            attained = Fraction(int(good[key]))
        else:
            attained = Fraction(100 * int(good[key]), int(counted[key]))
        score = clause_score(clause.kind, attained, clause.target, clause.minimum)
        results[int(contracts[clauses.keys[key][0]])].append(
            ClauseResult(
                version_id=version.version_id,
                version_number=version.version_number,
                code=clause.code,
                name=clause.name,
                kind=clause.kind,
                events=int(counted[key]),
                attained=attained,
                target=clause.target,
                minimum=clause.minimum,
                weight=clause.weight,
                score=score,
                met=score == 100,
                missed_event_ids=missed_ids[key],
            )
        )
    return {cid: sorted(found, key=lambda r: r.code) for cid, found in results.items()}


def _groups(keys: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Where each key's rows begin and end in rows sorted by key."""
    ends = np.cumsum(np.bincount(keys, minlength=size))
    return ends - np.bincount(keys, minlength=size), ends


def _percentiles(keys: np.ndarray, values: np.ndarray, size: int) -> dict[int, int]:
    """Each key's nearest-rank 90th percentile."""
    order = np.lexsort((values, keys))
    values = values[order]
    starts, ends = _groups(keys, size)
    return {
        key: int(nearest_rank_p90(values[starts[key] : ends[key]]))
        for key in np.flatnonzero(ends > starts).tolist()
    }


def _ids_by_key(events: _Events, judged: _Judged, missed: np.ndarray, size: int) -> list[list]:
    """Each key's missed events' ids, in the order the events were given."""
    rows = np.flatnonzero(missed)
    rows = rows[np.lexsort((judged.event[rows], judged.key[rows]))]
    ids = events.ids[judged.event[rows]].tolist()
    starts, ends = _groups(judged.key[rows], size)
    return [ids[s:e] for s, e in zip(starts.tolist(), ends.tolist(), strict=True)]
