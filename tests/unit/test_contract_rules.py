"""Contract rules without a database (domain rules §4–§7)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vendorgov.contracts.ocds import term_months
from vendorgov.contracts.rules import (
    Band,
    Clause,
    ContractStatus,
    Terms,
    VersionRef,
    default_bands,
    effective_contract_status,
    expiry_notice_due,
    fee_schedule,
    signing_problem,
    term_total,
    terms_from,
    to_plain,
    version_in_force,
)
from vendorgov.contracts.validation import terms_errors

D = Decimal


def clause(**kw):
    base = dict(
        code="SLA-1",
        name="响应",
        kind="response_within",
        target=D(95),
        minimum=D(80),
        weight=D(1),
        threshold_minutes=30,
    )
    base.update(kw)
    return Clause(**base)


def broken(terms, start=None, end=None):
    return {(e.field, e.rule) for e in terms_errors(terms, start, end).errors}


def test_defaults_are_valid_and_match_the_domain_rules():
    terms = Terms(effective_from=date(2026, 1, 1), monthly_fee=D("128000.00"), clauses=[clause()])
    assert broken(terms) == set()
    assert [(b.grade, b.min_score, b.pay_percent) for b in terms.bands] == [
        ("A", 95, 100),
        ("B", 90, 98),
        ("C", 80, 95),
        ("D", 0, 90),
    ]
    assert (
        terms.scheme.sla,
        terms.scheme.inspection,
        terms.scheme.satisfaction,
        terms.scheme.audit,
    ) == (40, 30, 20, 10)
    assert (terms.deadlines.critical, terms.deadlines.major, terms.deadlines.minor) == (24, 72, 168)


@pytest.mark.parametrize(
    "changed,expected",
    [
        (dict(weight=D(0)), ("clauses[0].weight", "positive")),
        (dict(target=D(80)), ("clauses[0].target", "target_better_than_minimum")),
        (dict(target=D(101)), ("clauses[0].target", "range")),
        (dict(threshold_minutes=None), ("clauses[0].threshold_minutes", "required")),
        (
            dict(kind="p90_response_minutes", target=D(30), minimum=D(10)),
            ("clauses[0].target", "target_better_than_minimum"),
        ),
        (
            dict(kind="complaint_count", target=D(1), minimum=D(5), threshold_minutes=10),
            ("clauses[0].threshold_minutes", "not_applicable"),
        ),
        (dict(kind="teleportation"), ("clauses[0].kind", "unknown_kind")),
        (dict(priority="whenever"), ("clauses[0].priority", "unknown_priority")),
    ],
)
def test_clause_rules(changed, expected):
    terms = Terms(effective_from=date(2026, 1, 1), monthly_fee=D(1), clauses=[clause(**changed)])
    assert expected in broken(terms)


def test_bands_fee_cap_deadlines_and_term():
    base = dict(effective_from=date(2026, 1, 1), monthly_fee=D("1000.00"))
    assert ("bands", "descending") in broken(
        Terms(
            **base,
            bands=[Band("A", D(90), D(100)), Band("B", D(95), D(98)), Band("D", D(0), D(90))],
        )
    )
    assert ("bands", "cover_0_100") in broken(
        Terms(**base, bands=[Band("A", D(95), D(100)), Band("B", D(50), D(95))])
    )
    assert ("bands", "pay_descending") in broken(
        Terms(**base, bands=[Band("A", D(90), D(95)), Band("D", D(0), D(100))])
    )
    assert ("monthly_fee", "positive") in broken(
        Terms(effective_from=date(2026, 1, 1), monthly_fee=D("-1"))
    )
    assert ("deduction_cap_percent", "range") in broken(Terms(**base, deduction_cap_percent=D(120)))
    terms = Terms(**base)
    terms.deadlines.critical = 100
    assert ("deadlines", "ordered") in broken(terms)
    assert ("effective_from", "within_term") in broken(Terms(**base), date(2026, 2, 1))


def ref(i, day, signed=True):
    return VersionRef(i, i, day, signed)


def test_version_in_force_ignores_drafts_and_the_future():
    versions = [
        ref(1, date(2026, 1, 1)),
        ref(2, date(2026, 6, 16)),
        ref(3, date(2026, 9, 1), signed=False),
    ]
    assert version_in_force(versions, date(2025, 12, 31)) is None
    assert version_in_force(versions, date(2026, 6, 15)).number == 1
    assert version_in_force(versions, date(2026, 6, 16)).number == 2
    assert version_in_force(versions, date(2026, 12, 1)).number == 2


@given(
    st.lists(st.dates(date(2020, 1, 1), date(2030, 1, 1)), min_size=1, max_size=8, unique=True),
    st.dates(date(2019, 1, 1), date(2031, 1, 1)),
)
def test_version_in_force_is_the_latest_start_on_or_before_the_day(starts, day):
    versions = [ref(i + 1, d) for i, d in enumerate(starts)]
    chosen = version_in_force(versions, day)
    eligible = [d for d in starts if d <= day]
    assert (chosen is None) == (not eligible)
    if chosen:
        assert chosen.effective_from == max(eligible)


def test_signing_must_start_after_every_signed_version():
    signed = [ref(1, date(2026, 1, 1))]
    assert signing_problem(ref(2, date(2026, 1, 1), False), signed) is not None
    assert signing_problem(ref(2, date(2025, 12, 1), False), signed) is not None
    assert signing_problem(ref(2, date(2026, 1, 2), False), signed) is None


def test_status_expiry_and_notice():
    today = date(2026, 11, 23)
    assert (
        effective_contract_status(ContractStatus.active, today - timedelta(1), today)
        is ContractStatus.expired
    )
    assert (
        effective_contract_status(ContractStatus.terminated, today - timedelta(1), today)
        is ContractStatus.terminated
    )
    assert expiry_notice_due(today + timedelta(90), today, 90)
    assert not expiry_notice_due(today + timedelta(91), today, 90)
    assert not expiry_notice_due(today - timedelta(1), today, 90)


@pytest.mark.parametrize(
    "start,end,months",
    [
        (date(2026, 1, 1), date(2027, 12, 31), 24),
        (date(2026, 3, 15), date(2026, 9, 14), 6),
        (date(2026, 1, 1), date(2026, 1, 31), 1),
    ],
)
def test_term_months(start, end, months):
    assert term_months(start, end) == months


money = st.decimals(
    min_value=D("0.01"), max_value=D("99999999.99"), places=2, allow_nan=False, allow_infinity=False
)


@given(money, money, st.decimals(min_value=0, max_value=100, places=4, allow_nan=False))
def test_terms_survive_the_json_round_trip_exactly(fee, penalty, target):
    terms = Terms(
        effective_from=date(2026, 1, 1),
        monthly_fee=fee,
        clauses=[clause(target=target, minimum=D(0))],
        bands=default_bands(),
    )
    terms.penalties = []
    back = terms_from(to_plain(terms))
    assert back.monthly_fee == fee and str(back.monthly_fee) == str(fee)
    assert back.clauses[0].target == target
    assert to_plain(back) == to_plain(terms)
    assert all(not isinstance(v, float) for v in to_plain(terms).values())


def test_a_total_price_becomes_equal_monthly_fees_and_a_final_remainder():
    # 880,000 / 12 = 73,333.333… → 73,333.33 × 11 = 806,666.63; the last: 73,333.37
    assert fee_schedule(D("880000.00"), 12) == (D("73333.33"), D("73333.37"))
    # A divisible total: every month the same.
    assert fee_schedule(D("1200000.00"), 24) == (D("50000.00"), D("50000.00"))
    # 1.00 over 3 months: 0.33, 0.33, 0.34; 0.15 over 10 months: nine 0.01 and 0.06 (rounding
    # half up would make 0.02 × 9 = 0.18 and leave the last month −0.03).
    assert fee_schedule(D("1.00"), 3) == (D("0.33"), D("0.34"))
    assert fee_schedule(D("0.15"), 10) == (D("0.01"), D("0.06"))
    # A single month pays the whole price.
    assert fee_schedule(D("73333.33"), 1) == (D("73333.33"), D("73333.33"))


@given(st.decimals(min_value="0.01", max_value=10**10, places=2), st.integers(1, 120))
def test_the_fee_schedule_sums_to_the_price_in_cents(total, months):
    monthly, final = fee_schedule(total, months)
    assert monthly * (months - 1) + final == total
    assert monthly == monthly.quantize(D("0.01")) and final == final.quantize(D("0.01"))
    # The last month takes the remainder: never less than the others, less than a cent a month more.
    assert monthly <= final < monthly + D("0.01") * months
    terms = Terms(date(2026, 1, 1), monthly, final_month_fee=final)
    assert term_total(terms, months) == total


def test_the_final_months_fee_is_checked_and_kept_in_the_plain_form():
    terms = Terms(date(2026, 1, 1), D("73333.33"), final_month_fee=D("73333.37"))
    assert terms_from(to_plain(terms)).final_month_fee == D("73333.37")
    assert terms_from({**to_plain(terms), "final_month_fee": ""}).final_month_fee is None
    for bad, rule in (("0", "positive"), ("-1.00", "positive"), ("1.005", "cents")):
        broken = Terms(date(2026, 1, 1), D("1.00"), final_month_fee=D(bad))
        assert ("final_month_fee", rule) in [(e.field, e.rule) for e in terms_errors(broken).errors]
