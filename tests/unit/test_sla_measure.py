"""SLA month measurement (domain rules §5, §6) with hand-computed expectations."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from vendorgov.contracts.rules import Clause
from vendorgov.sla.measure import (
    Month,
    VersionClauses,
    clause_score,
    measure_month,
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
    return {(r.code, r.version_number): r for r in results}


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
    assert result.attained == Decimal("33.3333")  # 1 hit of 3
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
    results = by_code(measure_month(events, [before, after], OCT, SH))
    v1, v2 = results[("R", 1)], results[("R", 2)]
    assert (v1.events, v1.attained, v1.score) == (2, Decimal(100), Decimal(100))
    assert (v2.events, v2.attained, v2.target) == (2, Decimal(50), Decimal(95))
    assert v2.score == 0 and v1.share == v2.share == Decimal("0.5")
    # weighted by share of events: (2*0.5*100 + 2*0.5*0) / (2*0.5 + 2*0.5) = 50
    assert sla_component(list(results.values())) == Decimal("50.00")


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
    assert result.events == 3 and result.attained == Decimal("66.6667")
    assert result.score == Decimal("22.2223")  # 100 * (66.6667-60)/(90-60)


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
    assert set(results) == {("C", 1)}  # no emergency event: that clause is left out
    assert results[("C", 1)].attained == 2 and results[("C", 1)].score == Decimal(75)
    assert sla_component(list(results.values())) == Decimal("75.00")


def test_no_clause_with_events_means_no_component():
    assert sla_component([]) is None


@pytest.mark.parametrize("attained,expected", [(95, 100), (96, 100), (80, 0), (70, 0), (87.5, 50)])
def test_clause_score_is_linear_between_minimum_and_target(attained, expected):
    assert clause_score("response_within", Decimal(attained), Decimal(95), Decimal(80)) == Decimal(
        expected
    )


def test_nearest_rank_percentile():
    import numpy as np

    assert nearest_rank_p90(np.array([3.0])) == 3.0
    assert nearest_rank_p90(np.arange(1, 21, dtype=float)) == 18.0


def test_month_parsing_and_boundaries():
    assert str(Month.parse("2026-10")) == "2026-10"
    assert Month(2026, 12).next() == Month(2027, 1) and Month(2027, 1).previous() == Month(2026, 12)
    assert OCT.start_utc(SH) == pd.Timestamp("2026-09-30 16:00", tz="UTC")
    for bad in ("2026-13", "Oct 2026", "2026"):
        with pytest.raises(ValueError):
            Month.parse(bad)
    assert OCT.end_utc(SH) - OCT.start_utc(SH) == timedelta(days=31)
