"""SLA month measurement (domain rules §5, §6) with hand-computed expectations."""

from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vendorgov.contracts.rules import Clause
from vendorgov.sla.measure import (
    Month,
    VersionClauses,
    clause_score,
    measure_month,
    measure_months,
    nearest_rank_p90,
    sla_component,
)

SH = ZoneInfo("Asia/Shanghai")
OCT = Month(2026, 10)


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


def frame(rows) -> pd.DataFrame:
    """rows: (id, category, priority, reported, responded, resolved, satisfaction, complaint)"""
    df = pd.DataFrame(
        rows,
        columns=[
            "id",
            "category",
            "priority",
            "reported_at",
            "responded_at",
            "resolved_at",
            "satisfaction",
            "complaint",
        ],
    )
    for column in ("reported_at", "responded_at", "resolved_at"):
        df[column] = pd.to_datetime(df[column], utc=True)
    df["satisfaction"] = df["satisfaction"].astype("float")
    return df


def clause(code, kind, target, minimum, threshold=None, weight=1, **kw):
    return Clause(
        code=code,
        name=code,
        kind=kind,
        target=Decimal(target),
        minimum=Decimal(minimum),
        weight=Decimal(weight),
        threshold_minutes=threshold,
        **kw,
    )


def v(clauses, effective=date(2026, 1, 1), vid=1, number=1):
    return VersionClauses(vid, number, effective, clauses)


def by_code(results):
    return {r.code: r for r in results}


def test_event_at_0030_local_on_the_first_belongs_to_that_month():
    # 2026-10-01 00:30 in Shanghai is 2026-09-30 16:30 UTC.
    events = frame(
        [
            (
                1,
                "repair",
                "routine",
                local(2026, 10, 1, 0, 30),
                local(2026, 10, 1, 0, 40),
                None,
                None,
                False,
            )
        ]
    )
    respond = clause("R", "response_within", 95, 80, threshold=15)
    assert measure_month(events, [v([respond])], OCT, SH)[0].events == 1
    assert measure_month(events, [v([respond])], Month(2026, 9), SH) == []


def test_response_within_hits_misses_and_month_end_rules():
    respond = clause("R", "response_within", 90, 50, threshold=30)
    events = frame(
        [
            # responded in 10 min: hit
            (
                1,
                "repair",
                "urgent",
                local(2026, 10, 5, 9),
                local(2026, 10, 5, 9, 10),
                None,
                None,
                False,
            ),
            # responded in 45 min: miss
            (
                2,
                "repair",
                "urgent",
                local(2026, 10, 5, 9),
                local(2026, 10, 5, 9, 45),
                None,
                None,
                False,
            ),
            # never responded, reported long before month end, older than threshold: miss in Oct
            (3, "repair", "urgent", local(2026, 10, 20, 9), None, None, None, False),
            # reported 23:50 on the 31st, no response by month end, age 10 min <= 30:
            # measured in November instead (left out of October)
            (
                4,
                "repair",
                "urgent",
                local(2026, 10, 31, 23, 50),
                local(2026, 11, 1, 0, 5),
                None,
                None,
                False,
            ),
        ]
    )
    (result,) = measure_month(events, [v([respond])], OCT, SH)
    assert result.events == 3
    assert result.attained == Fraction(100, 3)  # 1 hit of 3, exact
    assert sorted(result.missed_event_ids) == [2, 3]
    # clause score: linear between minimum 50 and target 90 → 0 (33.33 below minimum)
    assert result.score == 0
    (november,) = measure_month(events, [v([respond])], Month(2026, 11), SH)
    assert november.events == 1 and november.attained == 100  # event 4, responded in 15 min


def test_young_event_still_unanswered_at_next_month_end_is_a_miss_there():
    resolve = clause("S", "resolution_within", 90, 50, threshold=120)
    events = frame([(9, "repair", "routine", local(2026, 9, 30, 23), None, None, None, False)])
    assert measure_month(events, [v([resolve])], Month(2026, 9), SH) == []
    (october,) = measure_month(events, [v([resolve])], OCT, SH)
    assert october.events == 1 and october.attained == 0 and october.missed_event_ids == [9]


def test_mid_month_amendment_measures_each_event_against_its_own_version():
    before = v([clause("R", "response_within", 90, 50, threshold=30, weight=2)], vid=1, number=1)
    after = v(
        [clause("R", "response_within", 95, 50, threshold=20, weight=2)],
        effective=date(2026, 10, 16),
        vid=2,
        number=2,
    )
    events = frame(
        [
            # 25-minute response on the 10th: within v1's 30 min → hit under v1
            (
                1,
                "repair",
                "urgent",
                local(2026, 10, 10, 8),
                local(2026, 10, 10, 8, 25),
                None,
                None,
                False,
            ),
            (
                2,
                "repair",
                "urgent",
                local(2026, 10, 12, 8),
                local(2026, 10, 12, 8, 5),
                None,
                None,
                False,
            ),
            # the same 25-minute response on the 20th: beyond v2's 20 min → miss under v2
            (
                3,
                "repair",
                "urgent",
                local(2026, 10, 20, 8),
                local(2026, 10, 20, 8, 25),
                None,
                None,
                False,
            ),
            (
                4,
                "repair",
                "urgent",
                local(2026, 10, 21, 8),
                local(2026, 10, 21, 8, 5),
                None,
                None,
                False,
            ),
        ]
    )
    (pooled,) = measure_month(events, [before, after], OCT, SH)
    # Each event judged by its own version: 1 and 2 hit under v1's 30 min, 3 misses under
    # v2's 20 min, 4 hits. Pooled: 3 of 4 = 75 %, scored with v2's target 95 and minimum 50:
    # 100 × (75 − 50) / (95 − 50) = 500/9 = 55.5…
    assert (pooled.events, pooled.attained, pooled.version_number) == (4, 75, 2)
    assert (pooled.target, pooled.minimum, pooled.missed_event_ids) == (95, 50, [3])
    assert pooled.score == Fraction(500, 9)
    assert sla_component([pooled]) == Fraction(500, 9)


def test_p90_counts_open_events_with_their_age_at_month_end():
    p90 = clause("P", "p90_response_minutes", 20, 60)
    rows = [
        (
            i,
            "delivery",
            "routine",
            local(2026, 10, 3, 8),
            local(2026, 10, 3, 8, m),
            None,
            None,
            False,
        )
        for i, m in enumerate([5, 6, 7, 8, 9, 10, 11, 12, 40], start=1)
    ]
    # unanswered, reported 30 minutes before month end: counts as 30 minutes
    rows.append((10, "delivery", "routine", local(2026, 10, 31, 23, 30), None, None, None, False))
    (result,) = measure_month(frame(rows), [v([p90])], OCT, SH)
    # sorted: 5 6 7 8 9 10 11 12 30 40 → nearest rank ceil(0.9*10)=9 → 30
    assert result.attained == Decimal(30)
    # lower is better: linear between target 20 (100) and minimum 60 (0) → 75
    assert result.score == Decimal(75)
    assert sorted(result.missed_event_ids) == [9, 10]


def test_satisfaction_rate_counts_only_rated_events_and_filters_apply():
    rate = clause("S", "satisfaction_rate", 90, 60, category="cleaning")
    events = frame(
        [
            (1, "cleaning", "routine", local(2026, 10, 2, 9), None, None, 5, False),
            (2, "cleaning", "routine", local(2026, 10, 2, 9), None, None, 4, False),
            (3, "cleaning", "routine", local(2026, 10, 2, 9), None, None, 3, False),
            (4, "cleaning", "routine", local(2026, 10, 2, 9), None, None, None, False),
            (5, "repair", "routine", local(2026, 10, 2, 9), None, None, 1, False),  # other category
        ]
    )
    (result,) = measure_month(events, [v([rate])], OCT, SH)
    assert result.events == 3 and result.attained == Fraction(200, 3)
    assert result.score == Fraction(200, 9)  # 100 × (200/3 − 60) / (90 − 60), exact


def test_complaint_count_and_clause_without_events_left_out():
    complaints = clause("C", "complaint_count", 1, 5, weight=1)
    emergency = clause("E", "response_within", 98, 90, threshold=5, priority="emergency", weight=3)
    events = frame(
        [
            (1, "cleaning", "routine", local(2026, 10, 2, 9), None, None, None, True),
            (2, "cleaning", "routine", local(2026, 10, 3, 9), None, None, None, True),
            (3, "cleaning", "routine", local(2026, 10, 4, 9), None, None, None, False),
        ]
    )
    results = by_code(measure_month(events, [v([complaints, emergency])], OCT, SH))
    assert set(results) == {"C"}  # no emergency event: that clause is left out
    assert results["C"].attained == 2 and results["C"].score == 75
    assert sla_component(list(results.values())) == 75


def test_no_clause_with_events_means_no_component():
    assert sla_component([]) is None


@pytest.mark.parametrize("attained,expected", [(95, 100), (96, 100), (80, 0), (70, 0), (87.5, 50)])
def test_clause_score_is_linear_between_minimum_and_target(attained, expected):
    assert clause_score("response_within", Decimal(attained), Decimal(95), Decimal(80)) == Decimal(
        expected
    )


def test_nearest_rank_percentile():
    import numpy as np

    assert nearest_rank_p90(np.array([3])) == 3
    assert nearest_rank_p90(np.arange(1, 21)) == 18


def test_month_parsing_and_boundaries():
    assert str(Month.parse("2026-10")) == "2026-10"
    assert Month(2026, 12).next() == Month(2027, 1) and Month(2027, 1).previous() == Month(2026, 12)
    assert OCT.start_utc(SH) == pd.Timestamp("2026-09-30 16:00", tz="UTC")
    for bad in ("2026-13", "Oct 2026", "2026"):
        with pytest.raises(ValueError):
            Month.parse(bad)
    assert OCT.end_utc(SH) - OCT.start_utc(SH) == timedelta(days=31)


def _responses(day_minutes):
    """Urgent repair events: (local day in October, minutes to respond)."""
    return frame(
        [
            (
                i,
                "repair",
                "urgent",
                local(2026, 10, day, 9),
                local(2026, 10, day, 9) + timedelta(minutes=m),
                None,
                None,
                False,
            )
            for i, (day, m) in enumerate(day_minutes, start=1)
        ]
    )


# 10 events before the amendment on the 16th, all within 30 minutes; 10 after, one at 45.
SPLIT_MONTH = [(d, 10) for d in range(1, 11)] + [(d, 10) for d in range(17, 26)] + [(26, 45)]


def test_an_amendment_that_changed_only_the_fee_does_not_split_a_clause():
    # The month: 10/10 + 9/10 = 19/20 = 95 % meets the 95 % target → 100 (scored once
    # per version it was 100 and 50, mean 75).
    respond = clause("SLA-1", "response_within", 95, 90, threshold=30)
    versions = [v([respond], vid=1, number=1), v([respond], date(2026, 10, 16), vid=2, number=2)]
    (result,) = measure_month(_responses(SPLIT_MONTH), versions, OCT, SH)
    assert (result.events, result.attained, result.score, result.met) == (20, 95, 100, True)
    assert result.version_number == 2 and result.missed_event_ids == [20]
    assert sla_component([result]) == 100


def test_an_amendment_that_changed_the_target_scores_the_pool_with_the_latest():
    # v1: target 90, minimum 50, weight 1; v2 from the 16th: target 98, minimum 80, weight 3.
    # Pooled 19/20 = 95 %, scored with v2: 100 × (95 − 80) / (98 − 80) = 250/3 = 83.33…;
    # a second clause (complaints, unchanged, weight 1, none) scores 100. Component with v2's
    # weights: (3 × 250/3 + 1 × 100) / 4 = 350/4 = 87.5 exactly.
    old = clause("SLA-1", "response_within", 90, 50, threshold=30, weight=1)
    new = clause("SLA-1", "response_within", 98, 80, threshold=30, weight=3)
    complaints = clause("SLA-2", "complaint_count", 0, 3, weight=1)
    versions = [
        v([old, complaints], vid=1, number=1),
        v([new, complaints], date(2026, 10, 16), vid=2, number=2),
    ]
    results = by_code(measure_month(_responses(SPLIT_MONTH), versions, OCT, SH))
    assert results["SLA-1"].attained == 95 and results["SLA-1"].score == Fraction(250, 3)
    assert (results["SLA-1"].target, results["SLA-1"].weight) == (98, 3)
    assert results["SLA-2"].score == 100
    assert sla_component(list(results.values())) == Fraction(175, 2)


def test_each_event_is_judged_by_its_own_versions_threshold_and_filters():
    # v1 counts urgent events within 30 min; v2 (from the 16th) all priorities within 15 min.
    # Events: the 5th urgent 20 min (hit under v1), the 6th routine (not v1's: filtered out),
    # the 20th urgent 20 min (miss under v2), the 21st routine 10 min (hit under v2) → 2/3.
    v1 = clause("R", "response_within", 90, 0, threshold=30, priority="urgent")
    v2 = clause("R", "response_within", 90, 0, threshold=15)
    rows = [(5, "urgent", 20), (6, "routine", 5), (20, "urgent", 20), (21, "routine", 10)]
    events = frame(
        [
            (
                i,
                "repair",
                priority,
                local(2026, 10, day, 9),
                local(2026, 10, day, 9) + timedelta(minutes=m),
                None,
                None,
                False,
            )
            for i, (day, priority, m) in enumerate(rows, start=1)
        ]
    )
    versions = [v([v1], vid=1, number=1), v([v2], date(2026, 10, 16), vid=2, number=2)]
    (result,) = measure_month(events, versions, OCT, SH)
    assert (result.events, result.attained, result.missed_event_ids) == (3, Fraction(200, 3), [3])


def test_p90_is_one_percentile_over_the_pooled_minutes():
    # 5 events before the amendment, 5 after: one percentile of the 10 (9th smallest), not two.
    p90 = clause("P", "p90_response_minutes", 20, 60)
    minutes = [(2, 5), (3, 6), (4, 7), (5, 8), (6, 50), (20, 9), (21, 10), (22, 11), (23, 12)]
    minutes.append((24, 30))
    versions = [v([p90], vid=1, number=1), v([p90], date(2026, 10, 16), vid=2, number=2)]
    (result,) = measure_month(_responses(minutes), versions, OCT, SH)
    # sorted 5 6 7 8 9 10 11 12 30 50 → the 9th is 30 → 100 × (60 − 30) / (60 − 20) = 75
    assert (result.events, result.attained, result.score) == (10, 30, 75)


def test_minutes_are_exact_to_the_second():
    # 30 min 1 s is over a 30-minute threshold; 30 min 0 s is not (no float rounding).
    respond = clause("R", "response_within", 90, 0, threshold=30)
    events = _responses([(3, 30), (4, 30)])
    events.loc[1, "responded_at"] += pd.Timedelta(seconds=1)
    (result,) = measure_month(events, [v([respond])], OCT, SH)
    assert (result.attained, result.missed_event_ids) == (50, [2])


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 31), st.integers(0, 90)), min_size=1, max_size=30),
    st.integers(2, 31),
)
def test_splitting_a_month_between_identical_versions_changes_nothing(day_minutes, split):
    respond = clause("R", "response_within", 95, 60, threshold=30)
    p90 = clause("P", "p90_response_minutes", 20, 60)
    events = _responses(day_minutes)
    one = measure_month(events, [v([respond, p90])], OCT, SH)
    two = measure_month(
        events,
        [v([respond, p90], vid=1, number=1), v([respond, p90], date(2026, 10, split), 2, 2)],
        OCT,
        SH,
    )
    assert [(r.code, r.events, r.attained, r.score) for r in one] == [
        (r.code, r.events, r.attained, r.score) for r in two
    ]
    assert sla_component(one) == sla_component(two)


# A contract's clauses (every kind, two filtered) and an amendment with other thresholds.
MIXED = [
    clause("R", "response_within", 95, 60, threshold=30),
    clause("S", "resolution_within", 90, 50, threshold=240, category="repair"),
    clause("P", "p90_response_minutes", 20, 60),
    clause("Q", "satisfaction_rate", 90, 60, priority="urgent"),
    clause("C", "complaint_count", 0, 3),
]
AMENDED = [replace(MIXED[0], threshold_minutes=15), *MIXED[2:], MIXED[1]]


@st.composite
def _events_of_contracts(draw):
    """Events of three contracts interleaved in report order: some in late September still
    open at the month's start, some unanswered, rated or complained about."""
    rows = []
    for i in range(draw(st.integers(0, 60))):
        day = draw(st.integers(-2, 31))
        reported = local(2026, 10, 1, 3) + timedelta(days=day, minutes=draw(st.integers(0, 1400)))
        respond = draw(st.one_of(st.none(), st.integers(0, 90)))
        resolve = draw(st.one_of(st.none(), st.integers(0, 5000)))
        responded = None if respond is None else reported + timedelta(minutes=respond)
        resolved = None if resolve is None else reported + timedelta(minutes=resolve)
        rows.append(
            (
                draw(st.sampled_from([7, 8, 9])),
                i,
                draw(st.sampled_from(["repair", "cleaning"])),
                draw(st.sampled_from(["urgent", "routine"])),
                reported,
                responded,
                resolved,
                draw(st.sampled_from([None, 2, 4, 5])),
                draw(st.booleans()),
            )
        )
    return rows


@settings(max_examples=60, deadline=None)
@given(_events_of_contracts(), st.integers(2, 31))
def test_contracts_measured_together_equal_each_measured_alone(rows, split):
    events = frame([row[1:] for row in rows]).assign(contract=[row[0] for row in rows])
    versions = {
        7: [v(MIXED)],
        8: [v(MIXED, vid=2), v(AMENDED, date(2026, 10, split), vid=3, number=2)],
        9: [v(MIXED[2:], date(2026, 10, split), vid=4)],  # none in force before
    }
    together = measure_months(events, versions, OCT, SH)
    for contract_id, own in versions.items():
        alone = events[events["contract"] == contract_id].drop(columns="contract")
        assert together[contract_id] == measure_month(alone, own, OCT, SH)
