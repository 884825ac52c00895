"""Candidate order and award order (§3, Order 87 Art. 68), the SME price deduction and past
performance (§3a), consultation and negotiation rules: pure functions, computed by hand, and
property tests (always min(3, n) candidates; the order fixed by the seed)."""

from __future__ import annotations

import hashlib
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from vendorgov.errors import Collector
from vendorgov.payments.performance import mean_of_last_months
from vendorgov.tenders import ranking_rules, rules
from vendorgov.tenders.ranking_rules import (
    Ranked,
    candidate_order,
    candidates,
    draw_key,
    evaluated_prices,
    needs_draw,
    price_scores,
    rank_comprehensive,
    rank_lowest_price,
    technical_scores,
    totals,
)
from vendorgov.tenders.rules import Criterion, EvaluationMethod, Method

D = Decimal
CRITERIA = [
    Criterion("price", "价格", D(30)),
    Criterion("technical", "技术方案", D(40)),
    Criterion("service", "服务承诺", D(30)),
]


def errors_of(check) -> list[tuple[str, str]]:
    errors = Collector()
    check(errors)
    return [(e.field, e.rule) for e in errors.errors]


# --- tie rule ---------------------------------------------------------------------------------


def test_higher_technical_score_first_orders_a_tie_on_total_and_price():
    # Three bids at 800,000.00 (price score 100 each, 30 points):
    #   1: technical 80, service 80 → 30 + 32 + 24   = 86.00, technical part 56.00
    #   2: technical 85, service 75 → 30 + 34 + 22.5 = 86.50 (alone, rank 1)
    #   3: technical 77, service 84 → 30 + 30.8 + 25.2 = 86.00, technical part 56.00
    #   4: technical 70, service 90.67 → 30 + 28 + 27.201 = 85.201 → 85.20 (rank 4)
    #   5: technical 82, service 77.33 → 30 + 32.8 + 23.199 = 85.999 → 86.00, technical
    #      part 32.8 + 23.199 = 55.999
    prices = {b: D("800000.00") for b in (1, 2, 3, 4, 5)}
    means = {
        1: {"technical": D(80), "service": D(80)},
        2: {"technical": D(85), "service": D(75)},
        3: {"technical": D(77), "service": D(84)},
        4: {"technical": D(70), "service": D("90.67")},
        5: {"technical": D(82), "service": D("77.33")},
    }
    totals_ = totals(CRITERIA, prices, means)
    assert totals_ == {1: D("86.00"), 2: D("86.50"), 3: D("86.00"), 4: D("85.20"), 5: D("86.00")}
    ranked = rank_comprehensive(totals_, prices)
    assert [(r.bid, r.rank) for r in ranked] == [(2, 1), (1, 2), (3, 2), (5, 2), (4, 5)]
    technical = technical_scores(CRITERIA, means, prices)
    assert technical[1] == technical[3] == D("56.00") and technical[5] == D("55.999")
    # Technical rule: 1 and 3 (56.00) before 5 (55.999); 1 and 3 still tied → the draw.
    ordered = candidate_order(ranked, "technical", technical, seed="s33d")
    first, second = sorted([1, 3], key=lambda b: draw_key("s33d", b))
    assert [r.bid for r in ordered] == [2, first, second, 5, 4]
    assert needs_draw(ranked, "technical", technical) == [[1, 3]]
    # The tie straddles third place (ranks 2, 2, 2 for places 2–4): still three candidates.
    assert [r.bid for r in candidates(ordered)] == [2, first, second]
    # The draw rule alone: all three tied bids go to the draw.
    assert needs_draw(ranked, "draw", technical) == [[1, 3, 5]]
    assert needs_draw(ranked, "", technical) == [[1, 3, 5]]


def test_the_draw_is_sha256_of_seed_and_bid_id_and_reproducible():
    seed = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    ranked = [Ranked(b, 1, D(100), D("90.00")) for b in (11, 12, 13, 14)]
    keys = {b: hashlib.sha256(f"{seed}:{b}".encode()).hexdigest() for b in (11, 12, 13, 14)}
    expected = sorted(keys, key=keys.get)
    assert [r.bid for r in candidate_order(ranked, "", None, seed)] == expected
    assert [r.bid for r in candidate_order(list(reversed(ranked)), "draw", None, seed)] == expected
    # A four-way tie for first: three candidates, never none (the case).
    assert [r.bid for r in candidates(candidate_order(ranked, "", None, seed))] == expected[:3]
    # Without a seed (before the evaluation closes) ties are listed by bid id, provisionally.
    assert [r.bid for r in candidate_order(ranked)] == [11, 12, 13, 14]


def test_tie_rule_choices_and_the_lowest_price_method():
    assert (
        errors_of(lambda e: ranking_rules.tie_rule_errors("", EvaluationMethod.comprehensive, e))
        == []
    )
    lowest = EvaluationMethod.lowest_price
    assert errors_of(lambda e: ranking_rules.tie_rule_errors("draw", lowest, e)) == []
    assert errors_of(
        lambda e: ranking_rules.tie_rule_errors("technical", EvaluationMethod.lowest_price, e)
    ) == [("tie_rule", "technical")]
    assert errors_of(
        lambda e: ranking_rules.tie_rule_errors("coin", EvaluationMethod.comprehensive, e)
    ) == [("tie_rule", "one_of")]


# --- award order (Order 87 Art. 68) -------------------------------------------------------------


def test_only_the_next_candidate_is_awarded_or_passed_over():
    cands = [30, 10, 20]
    assert ranking_rules.next_candidate(cands, set()) == 30
    assert ranking_rules.award_order_error(30, cands, set()) is None
    assert "candidate 2" in ranking_rules.award_order_error(10, cands, set())
    assert "candidate 3" in ranking_rules.award_order_error(20, cands, {30})
    assert ranking_rules.award_order_error(10, cands, {30}) is None
    assert ranking_rules.award_order_error(20, cands, {30, 10}) is None
    assert "passed over" in ranking_rules.award_order_error(30, cands, {30})
    assert "recommended candidate" in ranking_rules.award_order_error(99, cands, set())
    assert ranking_rules.next_candidate(cands, {10, 20, 30}) is None


# --- SME price deduction (§3a) ----------------------------------------------------------------


def test_sme_deduction_counts_for_the_price_score_only():
    # A: 1,000,000.00, small enterprise, 10% → evaluated 900,000.00
    # B:   950,000.00, not an SME                → evaluated 950,000.00
    # C: 1,100,000.00, micro enterprise, 10%     → evaluated 990,000.00
    prices = {1: D("1000000.00"), 2: D("950000.00"), 3: D("1100000.00")}
    evaluated = evaluated_prices(prices, {1, 3}, D(10))
    assert evaluated == {1: D("900000.00"), 2: D("950000.00"), 3: D("990000.00")}
    scores = price_scores(evaluated)
    # Lowest evaluated 900,000: A 100; B 900000/950000 × 100 = 94.7368…; C 90.9090…
    assert rules.two_places(scores[1]) == D("100.00")
    assert rules.two_places(scores[2]) == D("94.74")
    assert rules.two_places(scores[3]) == D("90.91")
    # Without the deduction B would be lowest: A 95.00, B 100.
    plain = price_scores(prices)
    assert rules.two_places(plain[1]) == D("95.00") and plain[2] == D(100)
    # Lowest price method: ranked by evaluated price.
    assert [r.bid for r in rank_lowest_price(evaluated)] == [1, 2, 3]
    # 20%: A 800,000, C 880,000.
    assert evaluated_prices(prices, {1, 3}, D(20)) == {
        1: D("800000.00"),
        2: D("950000.00"),
        3: D("880000.00"),
    }


def test_sme_percent_is_10_to_20():
    for ok in ("10", "15.5", "20"):
        assert errors_of(lambda e, ok=ok: ranking_rules.sme_percent_errors(D(ok), e)) == []
    for bad in ("9.99", "20.01", "0", "NaN", "15.555"):
        assert errors_of(lambda e, bad=bad: ranking_rules.sme_percent_errors(D(bad), e)) == [
            ("sme_percent", "range")
        ]
    assert errors_of(lambda e: ranking_rules.sme_percent_errors(None, e)) == [
        ("sme_percent", "range")
    ]


# --- consultation and negotiation -------------------------------------------------------------


def _criteria(price: str) -> list[Criterion]:
    rest = D(100) - D(price)
    return [Criterion("price", "价格", D(price)), Criterion("plan", "方案", rest)]


def test_consultation_price_weight_is_10_to_30_percent():
    def check(price: str, method: Method):
        return errors_of(
            lambda e: rules.criteria_errors(
                _criteria(price), EvaluationMethod.comprehensive, e, method
            )
        )

    assert check("10", Method.consultation) == []
    assert check("30", Method.consultation) == []
    assert check("31", Method.consultation) == [("criteria", "price_weight")]
    assert check("9", Method.consultation) == [("criteria", "price_weight")]
    assert check("60", Method.open) == []  # other methods: at least 10, no maximum


def test_negotiation_uses_the_lowest_price():
    assert errors_of(
        lambda e: rules.criteria_errors(
            _criteria("30"), EvaluationMethod.comprehensive, e, Method.negotiation
        )
    ) == [("evaluation_method", "negotiation_lowest_price")]
    assert (
        errors_of(
            lambda e: rules.criteria_errors(
                [Criterion("price", "价格", D(100))],
                EvaluationMethod.lowest_price,
                e,
                Method.negotiation,
            )
        )
        == []
    )


# --- past performance (§3a) -------------------------------------------------------------------


def test_past_performance_criterion_needs_its_no_history_score():
    crit = [
        Criterion("price", "价格", D(30)),
        Criterion("plan", "方案", D(50)),
        Criterion("history", "履约评价", D(20), "past_performance", D(60)),
    ]
    assert errors_of(lambda e: rules.criteria_errors(crit, EvaluationMethod.comprehensive, e)) == []
    assert not crit[2].panel_scored and crit[1].panel_scored and not crit[0].panel_scored
    missing = [*crit[:2], Criterion("history", "履约评价", D(20), "past_performance", None)]
    assert errors_of(
        lambda e: rules.criteria_errors(missing, EvaluationMethod.comprehensive, e)
    ) == [("criteria[2].no_history_score", "range")]
    unknown = [*crit[:2], Criterion("history", "履约评价", D(20), "hearsay", None)]
    assert errors_of(
        lambda e: rules.criteria_errors(unknown, EvaluationMethod.comprehensive, e)
    ) == [("criteria[2].source", "one_of")]
    assert ranking_rules.past_performance_score(None, crit[2]) == D(60)
    assert ranking_rules.past_performance_score(D("91.25"), crit[2]) == D("91.25")


def test_mean_of_the_last_twelve_approved_months():
    # 14 months on record, 2025-01 … 2026-02; only the last 12 count (2025-03 … 2026-02).
    months = [f"2025-{m:02d}" for m in range(1, 13)] + ["2026-01", "2026-02"]
    by_month = {m: [D(50)] for m in months[:2]}  # the two oldest, left out
    for m in months[2:]:
        by_month[m] = [D(90)]
    by_month["2025-06"] = [D(80), D(100)]  # two contracts that month: mean 90
    by_month["2026-02"] = [D("96.50")]
    # 11 months at 90 and one at 96.50: (990 + 96.5) / 12 = 1086.5 / 12 = 90.541666… → 90.54
    result = mean_of_last_months(by_month)
    assert (result.score, result.months) == (D("90.54"), 12)
    assert mean_of_last_months({}).score is None and mean_of_last_months({}).months == 0
    # Three months: (80 + 85 + 91) / 3 = 256 / 3 = 85.333… → 85.33
    short = mean_of_last_months({"2026-01": [D(80)], "2026-02": [D(85)], "2026-03": [D(91)]})
    assert (short.score, short.months) == (D("85.33"), 3)


# --- properties -------------------------------------------------------------------------------

bid_ids = st.lists(st.integers(1, 10_000), min_size=0, max_size=9, unique=True)


@settings(max_examples=300)
@given(
    bid_ids,
    st.data(),
    st.sampled_from(["", "technical", "draw"]),
    st.text("0123456789abcdef", min_size=1, max_size=32),
)
def test_always_min_3_n_candidates_and_the_order_is_fixed_by_the_seed(ids, data, rule, seed):
    totals_ = {b: data.draw(st.sampled_from([D("80.00"), D("86.00"), D("90.00")])) for b in ids}
    prices = {b: data.draw(st.sampled_from([D(700), D(800)])) for b in ids}
    technical = {b: data.draw(st.sampled_from([D(50), D(56)])) for b in ids}
    ranked = rank_comprehensive(totals_, prices)
    ordered = candidate_order(ranked, rule, technical, seed)
    chosen = candidates(ordered)
    assert len(chosen) == min(3, len(ids))
    assert sorted(r.bid for r in ordered) == sorted(ids)
    # Ranks never go down along the order; a better-ranked bid always comes first.
    assert [r.rank for r in ordered] == sorted(r.rank for r in ordered)
    # The same seed gives the same order whatever order the bids were listed in.
    shuffled = data.draw(st.permutations(ranked))
    assert candidate_order(shuffled, rule, technical, seed) == ordered
    if rule == "technical":
        for a, b in zip(ordered, ordered[1:], strict=False):
            if a.rank == b.rank:
                assert technical[a.bid] >= technical[b.bid]
    # Every group left tied is ordered by the draw keys.
    for group in needs_draw(ranked, rule, technical):
        positions = [next(i for i, r in enumerate(ordered) if r.bid == b) for b in group]
        by_key = sorted(group, key=lambda b: draw_key(seed, b))
        assert [ordered[i].bid for i in sorted(positions)] == by_key
