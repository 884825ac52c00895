"""Month-end rules (domain rules §6-§7) on hand-computed months, and properties."""

import calendar
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vendorgov import exact
from vendorgov.contracts.rules import Penalty, Scheme, default_bands
from vendorgov.payments.rules import (
    Line,
    assessment_score,
    base_fee_lines,
    cap_line,
    concentration,
    fee_periods,
    grade,
    grade_deduction,
    net_amount,
    penalty_lines,
    termination_review,
)

D = Decimal


def test_proration_across_a_mid_month_amendment():
    # October 2026 has 31 days; a 3% rise signed to take effect on the 16th.
    periods = fee_periods(
        2026,
        10,
        [
            (1, date(2026, 1, 1), D("100000.00"), None),
            (2, date(2026, 10, 16), D("103000.00"), None),
        ],
        date(2026, 1, 1),
        date(2027, 12, 31),
    )
    assert [(p.version_number, p.first, p.last, p.days) for p in periods] == [
        (1, date(2026, 10, 1), date(2026, 10, 15), 15),
        (2, date(2026, 10, 16), date(2026, 10, 31), 16),
    ]
    lines = base_fee_lines(periods, 31)
    # 100,000 × 15 / 31 = 48,387.0967… → 48,387.10; 103,000 × 16 / 31 = 53,161.2903… → 53,161.29
    assert [amount for _, amount in lines] == [D("48387.10"), D("53161.29")]
    assert sum(amount for _, amount in lines) == D("101548.39")


def test_a_contract_starting_mid_month_pays_for_its_days_only():
    periods = fee_periods(
        2026,
        11,
        [(1, date(2026, 11, 20), D("30000.00"), None)],
        date(2026, 11, 20),
        date(2028, 11, 19),
    )
    # 11 days of 30: 30,000 × 11 / 30 = 11,000.00
    assert base_fee_lines(periods, 30)[0][1] == D("11000.00")


def test_a_component_without_data_is_left_out_and_the_weights_rescaled():
    score, weights = assessment_score(
        {"sla": D(90), "inspection": None, "satisfaction": D(80), "audit": D(100)}, Scheme()
    )
    # (40 × 90 + 20 × 80 + 10 × 100) / 70 = 88.5714…
    assert score == D("88.57")
    assert weights == {"sla": D("57.14"), "satisfaction": D("28.57"), "audit": D("14.29")}
    assert assessment_score({c: None for c in ("sla", "inspection")}, Scheme()) == (None, {})


@pytest.mark.parametrize(
    ("component", "expected_score", "expected_grade"),
    [
        (D("94.995"), D("95.00"), "A"),  # rounds half up to 95.00 → A
        (D("94.994"), D("94.99"), "B"),
        (D("90.00"), D("90.00"), "B"),
        (D("89.995"), D("90.00"), "B"),
        (D("89.99"), D("89.99"), "C"),
        (D("80.00"), D("80.00"), "C"),
        (D("79.99"), D("79.99"), "D"),
        (D(0), D("0.00"), "D"),
        (D(100), D("100.00"), "A"),
    ],
)
def test_each_band_boundary(component, expected_score, expected_grade):
    score, _ = assessment_score({"sla": component}, Scheme())
    assert score == expected_score
    assert grade(score, default_bands()).grade == expected_grade


def test_grade_deduction_fixed_penalties_and_the_cap():
    base = D("100000.00")
    band = grade(D("85.00"), default_bands())  # C: pay 95%
    deductions = [Line("grade", "grade C", grade_deduction(base, band))]
    deductions += penalty_lines(
        [Penalty("critical_finding", D("2000.00"), "严重问题"), Penalty("complaint", D("300"))],
        {"critical_finding": ["finding 17", "finding 21"]},
    )
    assert [(d.kind, d.amount, d.evidence) for d in deductions] == [
        ("grade", D("5000.00"), ()),
        ("penalty", D("2000.00"), ("finding 17",)),
        ("penalty", D("2000.00"), ("finding 21",)),
    ]
    capped = cap_line(base, deductions, D(8))  # at most 8,000.00 in all
    assert capped is not None and capped.amount == D("-1000.00")
    assert net_amount(base, [*deductions, capped]) == D("92000.00")
    assert cap_line(base, deductions, D(10)) is None  # 9,000 is within a 10% cap
    assert cap_line(base, deductions, None) is None


def test_each_line_is_rounded_to_the_cent_and_the_net_from_the_rounded_lines():
    # 10 days of 31 at 1,000.00: 322.5806… → 322.58; grade B (98%): 2% of 322.58 = 6.4516 → 6.45
    (period,) = fee_periods(
        2026,
        10,
        [(1, date(2026, 10, 22), D("1000.00"), None)],
        date(2026, 10, 22),
        date(2027, 1, 1),
    )
    base = base_fee_lines([period], 31)[0][1]
    deduction = grade_deduction(base, grade(D(92), default_bands()))
    assert (base, deduction, net_amount(base, [Line("grade", "B", deduction)])) == (
        D("322.58"),
        D("6.45"),
        D("316.13"),
    )


@pytest.mark.parametrize(
    ("grades", "flagged"),
    [
        (["A", "D", "D"], True),  # two consecutive
        (["D", "A", "D"], False),
        (["D", "B", "D", "C", "D"], True),  # three of the last six
        (["D", "A", "A", "A", "A", "A", "D", "B", "D"], False),  # the first D is 9 months back
        (["C"], False),
    ],
)
def test_termination_review(grades, flagged):
    assert termination_review(grades) is flagged


def test_spend_concentration():
    shares, hhi = concentration({"洁康": D("75000.00"), "安泰": D("25000.00")})
    assert shares == {"洁康": D("75.00"), "安泰": D("25.00")}
    assert hhi == D("6250.00")  # 75² + 25²
    assert concentration({}) == ({}, D(0))


scores = st.decimals(min_value=0, max_value=100, places=3)


@given(
    st.fixed_dictionaries(
        {c: st.none() | scores for c in ("sla", "inspection", "satisfaction", "audit")}
    )
)
def test_the_score_lies_between_its_components(components):
    score, weights = assessment_score(components, Scheme())
    present = [v for v in components.values() if v is not None]
    if not present:
        assert score is None
        return
    assert min(present).quantize(D("0.01")) - D("0.01") <= score <= max(present) + D("0.01")
    assert abs(sum(weights.values()) - 100) <= D("0.02")


@given(
    st.integers(min_value=1, max_value=12),
    st.integers(min_value=2, max_value=28),
    st.decimals(min_value=1, max_value=10**6, places=2),
    st.decimals(min_value=1, max_value=10**6, places=2),
)
def test_versions_covering_the_month_share_its_days_exactly(month, change_day, fee1, fee2):
    periods = fee_periods(
        2026,
        month,
        [(1, date(2025, 1, 1), fee1, None), (2, date(2026, month, change_day), fee2, None)],
        date(2025, 1, 1),
        date(2028, 12, 31),
    )
    days = calendar.monthrange(2026, month)[1]
    assert sum(p.days for p in periods) == days
    total = sum(amount for _, amount in base_fee_lines(periods, days))
    exact = (fee1 * (change_day - 1) + fee2 * (days - change_day + 1)) / days
    assert abs(total - exact) <= D("0.01")  # two lines, each within half a cent


def test_the_issues_boundary_month_scores_a_not_b():
    # SLA 100; inspections 83.00, 87.95, 90.00 (mean 5219/60 = 86.98333…); satisfaction 95;
    # audit 99: (40 × 100 + 30 × 5219/60 + 20 × 95 + 10 × 99) / 100 = 9499.5 / 100 = 94.995
    # → 95.00 → A. Rounding the mean to 86.98 first gave 94.99 → B (2 % withheld).
    inspection = sum((Fraction(D(s)) for s in ("83.00", "87.95", "90.00")), Fraction(0)) / 3
    assert inspection == Fraction(5219, 60)
    components = {"sla": 100, "inspection": inspection, "satisfaction": 95, "audit": D(99)}
    score, _ = assessment_score(components, Scheme())
    assert score == D("95.00") and grade(score, default_bands()).grade == "A"
    rounded_first = {**components, "inspection": D("86.98")}
    assert assessment_score(rounded_first, Scheme())[0] == D("94.99")  # what it was


@pytest.mark.parametrize(
    ("value", "text", "two"),
    [
        (Fraction(5219, 60), "5219/60", D("86.98")),
        (Fraction(200, 3), "200/3", D("66.67")),
        (Fraction(18999, 200), "94.995", D("95.00")),
        (D("99"), "99", D("99.00")),
        (Fraction(-1, 200), "-0.005", D("-0.01")),  # half away from zero
    ],
)
def test_exact_values_read_back_and_round_half_up(value, text, two):
    assert exact.text(value) == text and exact.parse(text) == value
    assert exact.rounded(value) == two


@given(st.fractions(min_value=0, max_value=100, max_denominator=10**6))
def test_rounding_an_exact_value_matches_decimal_half_up_where_decimal_is_exact(value):
    as_text = exact.text(value)
    if "/" not in as_text:
        assert exact.rounded(value) == D(as_text).quantize(D("0.01"), rounding=ROUND_HALF_UP)
    assert abs(Fraction(exact.rounded(value)) - value) <= Fraction(1, 200)


def test_the_final_month_of_the_term_pays_the_final_months_fee():
    # ¥880,000 over 2026: 11 × 73,333.33 + 73,333.37; December pays the remainder.
    versions = [(1, date(2026, 1, 1), D("73333.33"), D("73333.37"))]
    paid = []
    for month in range(1, 13):
        periods = fee_periods(2026, month, versions, date(2026, 1, 1), date(2026, 12, 31))
        paid.append(base_fee_lines(periods, calendar.monthrange(2026, month)[1])[0][1])
    assert paid == [D("73333.33")] * 11 + [D("73333.37")]
    assert sum(paid) == D("880000.00")


def test_an_amendment_in_force_in_the_last_month_pays_its_own_final_fee():
    # Version 2 from 16 December: 15 days of version 1's December, 16 of version 2's final fee.
    versions = [
        (1, date(2026, 1, 1), D("73333.33"), D("73333.37")),
        (2, date(2026, 12, 16), D("80000.00"), D("80000.10")),
    ]
    periods = fee_periods(2026, 12, versions, date(2026, 1, 1), date(2026, 12, 31))
    assert [(p.version_number, p.monthly_fee, p.days) for p in periods] == [
        (1, D("73333.37"), 15),
        (2, D("80000.10"), 16),
    ]
    # A month before the last pays the monthly fee.
    (period,) = fee_periods(2026, 11, versions, date(2026, 1, 1), date(2026, 12, 31))
    assert period.monthly_fee == D("73333.33")
