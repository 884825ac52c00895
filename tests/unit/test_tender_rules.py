"""Tender rules (domain rules §3): criteria, validity, abnormally low prices, price scores,
totals, ranks and candidates; and the sealing primitives (AES-GCM, key wrapping, digests)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.test_workday_rules import NATIONAL_DAY
from vendorgov.errors import Collector, Conflict
from vendorgov.tenders import panel_rules, ranking_rules, rules, sealing
from vendorgov.tenders.ranking_rules import (
    Ranked,
    candidate_order,
    candidates,
    price_scores,
    rank_comprehensive,
    rank_lowest_price,
    totals,
)
from vendorgov.tenders.rules import (
    BidFacts,
    Criterion,
    EvaluationMethod,
    Method,
    abnormally_low,
    criteria_errors,
    invalid_reasons,
)
from vendorgov.workdays.rules import Calendar


def said(reasons: list[str], language: str = "en") -> list[str]:
    """Recorded reasons as a reader of that language reads them."""
    from vendorgov.i18n import using_locale
    from vendorgov.recorded import read

    with using_locale(language):
        return [read(r) for r in reasons]


D = Decimal
SHANGHAI = ZoneInfo("Asia/Shanghai")


def criteria(*pairs: tuple[str, str]) -> list[Criterion]:
    return [Criterion(key, key.title(), D(weight)) for key, weight in pairs]


STANDARD = criteria(("price", "30"), ("technical", "40"), ("service", "30"))


def rule_names(items, evaluation=EvaluationMethod.comprehensive) -> set[str]:
    errors = Collector()
    criteria_errors(items, evaluation, errors)
    return {e.rule for e in errors.errors}


# --- criteria --------------------------------------------------------------------------------


def test_standard_criteria_are_accepted():
    assert rule_names(STANDARD) == set()


@pytest.mark.parametrize(
    "items",
    [
        criteria(("price", "30"), ("technical", "40"), ("service", "29")),  # 99
        criteria(("price", "30"), ("technical", "40"), ("service", "31")),  # 101
        criteria(("price", "30"), ("technical", "40"), ("service", "29.99")),  # 99.99
    ],
)
def test_weights_must_sum_to_exactly_100(items):
    assert "weights_sum" in rule_names(items)


def test_price_weight_below_10_percent_is_refused_and_10_is_the_minimum():
    assert "price_weight" in rule_names(criteria(("price", "9.99"), ("technical", "90.01")))
    assert rule_names(criteria(("price", "10"), ("technical", "90"))) == set()


def test_price_criterion_is_required_exactly_once():
    assert "price_criterion" in rule_names(criteria(("technical", "60"), ("service", "40")))
    twice = [Criterion("price", "Price", D(30)), Criterion("price", "Price 2", D(70))]
    names = rule_names(twice)
    assert "price_criterion" in names and "duplicate_key" in names


def test_price_alone_is_not_comprehensive_scoring_and_no_criteria_at_all_is_refused():
    assert "non_price" in rule_names(criteria(("price", "100")))
    assert "required" in rule_names([])


def test_non_positive_weights_and_bad_keys_are_refused():
    names = rule_names(
        [
            Criterion("price", "Price", D(30)),
            Criterion("bad key!", "Technical", D(80)),
            Criterion("service", "Service", D(-10)),
        ]
    )
    assert {"key", "range"} <= names


def test_lowest_price_method_takes_no_non_price_criteria():
    assert rule_names([], EvaluationMethod.lowest_price) == set()
    assert rule_names(criteria(("price", "100")), EvaluationMethod.lowest_price) == set()
    assert "lowest_price_only" in rule_names(STANDARD, EvaluationMethod.lowest_price)


def test_price_lines_must_add_up_and_prices_have_cents_at_most():
    def names(total, lines=()):
        errors = Collector()
        rules.price_lines_errors(total, list(lines), errors)
        return {e.rule for e in errors.errors}

    assert names(D("100.00"), [("保洁", D("60")), ("耗材", D("40.00"))]) == set()
    assert "sum" in names(D("100.00"), [("保洁", D("60")), ("耗材", D("39.99"))])
    assert "cents" in names(D("100.001"))
    assert "positive" in names(D("0"))
    assert "required" in names(None)


def test_panel_is_odd_and_at_least_the_minimum():
    assert panel_rules.panel_errors(5, 0, Method.open) == []
    assert [p.rule for p in panel_rules.panel_errors(3, 0, Method.open)] == ["panel_size"]
    assert [p.rule for p in panel_rules.panel_errors(6, 0, Method.open)] == ["panel_odd"]
    assert panel_rules.panel_errors(3, 0, Method.negotiation) == []
    sizes = panel_rules.PanelSizes(open_minimum=7)
    assert panel_rules.panel_errors(7, 0, Method.open, sizes=sizes) == []
    assert rules.min_bidders(Method.open) == 3
    assert rules.min_bidders(Method.single_source) == 1
    # §3a: competitive consultation for services may go on with 2 (财库〔2014〕214号).
    assert rules.min_bidders(Method.consultation) == 2
    assert rules.min_bidders(Method.negotiation) == 3


# --- validity at opening ---------------------------------------------------------------------

DEADLINE_DAY = date(2026, 12, 15)
CEILING = D("1000000.00")


def facts(price="900000.00", status="active", **quals) -> BidFacts:
    qualifications = quals or {"business_licence": [(date(2020, 1, 1), date(2030, 1, 1))]}
    return BidFacts(D(price), status, qualifications)


def test_a_bid_within_everything_is_valid_and_the_ceiling_itself_is_allowed():
    assert invalid_reasons(facts(), CEILING, ["business_licence"], DEADLINE_DAY) == []
    assert invalid_reasons(facts("1000000.00"), CEILING, [], DEADLINE_DAY) == []


def test_over_the_ceiling_is_invalid_with_the_amounts_in_the_reason():
    reasons = invalid_reasons(facts("1000000.01"), CEILING, [], DEADLINE_DAY)
    assert said(reasons) == ["the price ¥1,000,000.01 exceeds the budget ceiling ¥1,000,000.00"]
    # Recorded as a sentence, so each reader reads it in their own language.
    assert said(reasons, "zh_CN") == ["报价 ¥1,000,000.01 超过最高限价 ¥1,000,000.00"]


@pytest.mark.parametrize("status", ["suspended", "blacklisted"])
def test_suspended_or_blacklisted_vendor_is_invalid(status):
    reasons = invalid_reasons(facts(status=status), CEILING, [], DEADLINE_DAY)
    assert said(reasons) == [f"the vendor is {status.capitalize()} at the bid deadline"]


def test_qualification_is_judged_on_the_deadline_day():
    # Expired the day before the deadline: invalid. Expiring on the deadline day: still valid.
    expired = facts(business_licence=[(date(2020, 1, 1), date(2026, 12, 14))])
    assert said(invalid_reasons(expired, CEILING, ["business_licence"], DEADLINE_DAY)) == [
        "no valid Business licence qualification at the bid deadline"
    ]
    last_day = facts(business_licence=[(date(2020, 1, 1), DEADLINE_DAY)])
    assert invalid_reasons(last_day, CEILING, ["business_licence"], DEADLINE_DAY) == []
    # Issued only after the deadline: not held at the deadline.
    too_late = facts(business_licence=[(date(2026, 12, 16), date(2030, 1, 1))])
    assert invalid_reasons(too_late, CEILING, ["business_licence"], DEADLINE_DAY)
    # An expired and a renewed licence: the renewed one counts.
    renewed = facts(
        business_licence=[
            (date(2018, 1, 1), date(2021, 1, 1)),
            (date(2021, 1, 1), date(2031, 1, 1)),
        ]
    )
    assert invalid_reasons(renewed, CEILING, ["business_licence"], DEADLINE_DAY) == []


def test_every_reason_is_listed_at_once():
    reasons = invalid_reasons(
        facts("1200000.00", "suspended"),
        CEILING,
        ["business_licence", "security_service_permit"],
        DEADLINE_DAY,
    )
    assert len(reasons) == 3
    assert any("投标截止时无有效的保安服务许可证" == r for r in said(reasons, "zh_CN"))


# --- abnormally low --------------------------------------------------------------------------


def test_exactly_20_percent_below_the_mean_of_the_others_is_not_flagged():
    # Others: 100 and 100 → mean 100; 80 is exactly 20% below: not "more than 20%".
    assert abnormally_low({1: D("80.00"), 2: D("100.00"), 3: D("100.00")}) == set()
    # One cent further down is flagged.
    assert abnormally_low({1: D("79.99"), 2: D("100.00"), 3: D("100.00")}) == {1}


def test_abnormally_low_compares_with_the_mean_of_the_others_only():
    # Bid 1 at 70: others 100 and 120 → mean 110, 20% below is 88 → flagged.
    # Bid 2 at 100: others 70 and 120 → mean 95, 76 → not flagged.
    prices = {1: D(70), 2: D(100), 3: D(120)}
    assert abnormally_low(prices) == {1}
    assert abnormally_low(prices, percent=D(40)) == set()  # 110 × 0.6 = 66 < 70
    assert abnormally_low({1: D(10)}) == set()
    assert abnormally_low({}) == set()


# --- price scores, totals, ranks -------------------------------------------------------------


def test_price_scores_are_exact_lowest_over_price_times_100():
    scores = price_scores({1: D("800000.00"), 2: D("950000.00"), 3: D("800000.00")})
    assert scores[1] == scores[3] == D(100)
    # 800000 / 950000 × 100 = 84.2105263…
    assert rules.two_places(scores[2]) == D("84.21")
    assert abs(scores[2] - D("84.21052631578947368421052632")) < D("1e-20")


def test_total_is_the_weighted_sum_rounded_half_up_to_2_decimals():
    prices = {1: D("800000.00"), 2: D("950000.00")}
    means = {
        1: {"technical": D(80), "service": D(80)},
        2: {"technical": D("83.6"), "service": D(91)},
    }
    result = totals(STANDARD, prices, means)
    # Bid 1: 30 × 100/100 + 40 × 80/100 + 30 × 80/100 = 30 + 32 + 24 = 86.00
    # Bid 2: 30 × 84.2105…/100 + 40 × 83.6/100 + 30 × 91/100 = 25.2631… + 33.44 + 27.3 = 86.0031…
    assert result == {1: D("86.00"), 2: D("86.00")}
    # Half up: a total of exactly x.xx5 rounds up.
    half = totals(
        criteria(("price", "50"), ("technical", "50")), {1: D(1)}, {1: {"technical": D("0.01")}}
    )
    assert half == {1: D("50.01")}  # 50 + 0.005 → 50.01


def test_a_criterion_nobody_scored_counts_zero():
    assert totals(STANDARD, {1: D(5)}, {}) == {1: D("30.00")}


def test_ranking_by_total_then_price_with_shared_ranks():
    totals_ = {1: D("86.00"), 2: D("86.00"), 3: D("86.00"), 4: D("90.00"), 5: D("70.00")}
    prices = {1: D(800), 2: D(800), 3: D(950), 4: D(1000), 5: D(700)}
    ranked = rank_comprehensive(totals_, prices)
    assert [(r.bid, r.rank) for r in ranked] == [(4, 1), (1, 2), (2, 2), (3, 4), (5, 5)]
    assert ranked[0].total == D("90.00") and ranked[0].price == D(1000)
    # 1,2 share rank 2; the next is 4 (a tie on both), 3 is behind 1 and 2 on price only.
    assert [r.bid for r in candidates(ranked)] == [4, 1, 2]


def test_lowest_price_ranking_shares_ranks_on_equal_prices():
    ranked = rank_lowest_price({7: D(600), 3: D(500), 9: D(500), 4: D(700)})
    assert [(r.bid, r.rank, r.total) for r in ranked] == [
        (3, 1, None),
        (9, 1, None),
        (7, 3, None),
        (4, 4, None),
    ]
    assert [r.bid for r in candidates(ranked)] == [3, 9, 7]


def test_candidates_are_the_first_three_of_the_candidate_order_ties_included():
    def ranked(*ranks):
        return [Ranked(i, r, D(1), None) for i, r in enumerate(ranks, start=1)]

    assert [r.bid for r in candidates(ranked(1, 2, 3, 4))] == [1, 2, 3]
    assert [r.bid for r in candidates(ranked(1, 1, 3))] == [1, 2, 3]
    assert [r.bid for r in candidates(ranked(1, 2, 2, 4))] == [1, 2, 3]
    # §3: a tie straddling third place is ordered (tie rule, then draw; here provisionally by
    # bid id, no seed yet), so there are always min(3, bids) candidates: never none.
    assert [r.bid for r in candidates(candidate_order(ranked(1, 2, 3, 3)))] == [1, 2, 3]
    assert [r.bid for r in candidates(candidate_order(ranked(1, 1, 1, 1)))] == [1, 2, 3]
    assert [r.bid for r in candidates(ranked(1, 2))] == [1, 2]
    assert candidates([]) == []


# --- property tests --------------------------------------------------------------------------

prices_st = st.decimals(min_value=D("1.00"), max_value=D("99999999.99"), places=2)
score_st = st.decimals(min_value=D(0), max_value=D(100), places=2)


@st.composite
def tenders(draw):
    """Weights summing to 100 with price ≥ 10, prices, and evaluators' means per bid."""
    price_weight = draw(st.integers(min_value=10, max_value=99))
    rest = 100 - price_weight
    split = draw(st.integers(min_value=0, max_value=rest))
    items = [Criterion("price", "Price", D(price_weight))]
    if split:
        items.append(Criterion("technical", "Technical", D(split)))
    if rest - split:
        items.append(Criterion("service", "Service", D(rest - split)))
    n = draw(st.integers(min_value=1, max_value=8))
    bid_ids = draw(st.lists(st.integers(1, 10_000), min_size=n, max_size=n, unique=True))
    # Few distinct prices so that equal prices (and equal totals) come up often.
    price_pool = draw(st.lists(prices_st, min_size=1, max_size=3))
    prices = {b: draw(st.sampled_from(price_pool)) for b in bid_ids}
    evaluators = draw(st.integers(min_value=1, max_value=7))
    score_pool = draw(st.lists(score_st, min_size=1, max_size=3))
    scores = {
        b: {
            c.key: [draw(st.sampled_from(score_pool)) for _ in range(evaluators)]
            for c in items
            if not c.is_price
        }
        for b in bid_ids
    }
    return items, prices, scores


def evaluate(items, prices, scores):
    means = ranking_rules.criterion_means(scores)
    totals_ = totals(items, prices, means)
    ranked = rank_comprehensive(totals_, prices)
    return totals_, ranked


@settings(max_examples=300)
@given(tenders())
def test_totals_are_within_0_and_100_with_2_decimals(tender):
    totals_, _ = evaluate(*tender)
    for total in totals_.values():
        assert D(0) <= total <= D(100)
        assert total == total.quantize(D("0.01"))


@settings(max_examples=300)
@given(tenders(), st.randoms(use_true_random=False))
def test_ranking_does_not_depend_on_the_order_bids_were_entered(tender, rnd):
    items, prices, scores = tender
    totals_, ranked = evaluate(items, prices, scores)
    order = list(prices)
    rnd.shuffle(order)
    shuffled_prices = {b: prices[b] for b in order}
    shuffled_scores = {b: scores[b] for b in reversed(order)}
    totals2, ranked2 = evaluate(items, shuffled_prices, shuffled_scores)
    assert totals2 == totals_
    assert {r.bid: r.rank for r in ranked2} == {r.bid: r.rank for r in ranked}
    assert {r.bid for r in candidates(ranked2)} == {r.bid for r in candidates(ranked)}
    # The listing itself is deterministic too.
    assert ranked2 == ranked
    lowest = rank_lowest_price(prices)
    lowest2 = rank_lowest_price(shuffled_prices)
    assert {r.bid: r.rank for r in lowest2} == {r.bid: r.rank for r in lowest}


@settings(max_examples=300)
@given(tenders())
def test_ranks_follow_total_then_price(tender):
    items, prices, scores = tender
    totals_, ranked = evaluate(items, prices, scores)
    for a in ranked:
        for b in ranked:
            key_a, key_b = (-totals_[a.bid], prices[a.bid]), (-totals_[b.bid], prices[b.bid])
            if key_a == key_b:
                assert a.rank == b.rank
            elif key_a < key_b:
                assert a.rank < b.rank
    # Competition ranking: a rank is 1 + the number of bids strictly ahead.
    for r in ranked:
        ahead = sum(
            1 for o in ranked if (-totals_[o.bid], prices[o.bid]) < (-totals_[r.bid], prices[r.bid])
        )
        assert r.rank == ahead + 1
    chosen = candidates(ranked)
    assert len(chosen) <= 3
    assert chosen == ranked[: len(chosen)]


@settings(max_examples=300)
@given(st.dictionaries(st.integers(1, 10_000), prices_st, min_size=1, max_size=10))
def test_the_lowest_valid_price_always_scores_100(prices):
    scores = price_scores(prices)
    lowest = min(prices.values())
    for bid, price in prices.items():
        if price == lowest:
            assert scores[bid] == D(100)
        else:
            assert D(0) < scores[bid] < D(100)


@settings(max_examples=200)
@given(
    st.dictionaries(st.integers(1, 10_000), prices_st, min_size=2, max_size=10),
    st.integers(min_value=1, max_value=50),
)
def test_abnormally_low_matches_its_definition(prices, percent):
    flagged = abnormally_low(prices, D(percent))
    for bid, price in prices.items():
        others = [p for b, p in prices.items() if b != bid]
        mean = sum(others, D(0)) / len(others)
        assert (bid in flagged) == (price * 100 < mean * (100 - percent))


# --- sealing ---------------------------------------------------------------------------------


def test_encrypt_decrypt_roundtrip_and_ciphertext_hides_the_plaintext():
    key = sealing.new_key()
    data = b'{"price":"987654.32"}'
    blob = sealing.encrypt(key, data, "T-1:bid:7")
    assert b"987654" not in blob
    assert sealing.decrypt(key, blob, "T-1:bid:7") == data
    # A fresh nonce every time.
    assert sealing.encrypt(key, data, "T-1:bid:7") != blob


def test_wrong_context_wrong_key_or_tampering_fails():
    key = sealing.new_key()
    blob = sealing.encrypt(key, b"secret", "T-1:bid:7")
    with pytest.raises(sealing.SealBroken):
        sealing.decrypt(key, blob, "T-1:bid:8")
    with pytest.raises(sealing.SealBroken):
        sealing.decrypt(sealing.new_key(), blob, "T-1:bid:7")
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(sealing.SealBroken):
        sealing.decrypt(key, tampered, "T-1:bid:7")
    with pytest.raises(sealing.SealBroken):
        sealing.decrypt(key, b"short", "T-1:bid:7")


def test_wrap_and_unwrap_the_tender_key():
    key = sealing.new_key()
    wrapped = sealing.wrap_key("installation secret", key, "ZFCG-2026-001")
    assert isinstance(wrapped, str)
    assert sealing.unwrap_key("installation secret", wrapped, "ZFCG-2026-001") == key
    # Another installation's key (a restore without the original): a 409 that says so.
    with pytest.raises(Conflict, match="secret key does not match"):
        sealing.unwrap_key("another secret", wrapped, "ZFCG-2026-001")
    with pytest.raises(Conflict):
        sealing.unwrap_key("installation secret", wrapped, "ZFCG-2026-002")


def test_digest_is_stable_under_key_order_and_changes_with_content():
    a = {"price": "987654.32", "tender": "T-1", "files": [{"name": "方案.pdf"}], "salt": "ab"}
    b = dict(reversed(list(a.items())))
    assert sealing.digest(a) == sealing.digest(b)
    assert len(sealing.digest(a)) == 64 and int(sealing.digest(a), 16) >= 0
    assert sealing.digest({**a, "price": "987654.33"}) != sealing.digest(a)
    assert sealing.digest({**a, "salt": "ac"}) != sealing.digest(a)
    assert sealing.file_digest(b"abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


@pytest.mark.parametrize("raw", ["NaN", "sNaN", "Infinity", "-Infinity", "1e400", "1e12"])
def test_amounts_that_are_not_numbers_or_too_large_are_refused_not_raised(raw):
    value = D(raw)
    assert not rules.is_amount(value)
    errors = Collector()
    rules.price_lines_errors(value, [], errors)
    assert errors.errors
    errors = Collector()
    rules.price_lines_errors(D("100.00"), [("保洁", value)], errors)
    assert errors.errors
    assert not rules.is_score(value)
    weights = [Criterion("price", "Price", value), Criterion("technical", "Technical", D(70))]
    assert "range" in rule_names(weights)


def test_amount_and_score_bounds():
    assert rules.is_amount(D("999999999999.99")) and not rules.is_amount(D("1000000000000.00"))
    assert rules.is_score(D(0)) and rules.is_score(D("100.00")) and rules.is_score(D("99.99"))
    assert not rules.is_score(D("100.01")) and not rules.is_score(D("-0.01"))
    assert not rules.is_score(D("50.005"))


@pytest.mark.parametrize(
    ("method", "days"),
    [("open", 20), ("invited", 20), ("consultation", 10), ("negotiation", 3), ("single_source", 3)],
)
def test_the_minimum_bid_period_of_each_method(method, days):
    assert rules.min_bid_days(rules.Method(method), 20, 10, 3) == days


def test_the_bid_period_is_counted_from_publication_to_the_deadline():
    published = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
    errors = Collector()
    period = (20, False, Calendar(), SHANGHAI)
    rules.bid_period_errors(published, published + timedelta(days=20), *period, errors)
    assert errors.errors == []
    rules.bid_period_errors(published, published + timedelta(days=20, seconds=-1), *period, errors)
    assert [(e.field, e.rule) for e in errors.errors] == [("bid_deadline", "bid_period")]


@pytest.mark.parametrize(
    ("method", "working"),
    [("open", False), ("invited", False), ("consultation", False), ("negotiation", True)],
)
def test_negotiation_and_single_source_count_working_days(method, working):
    assert rules.counts_working_days(rules.Method(method)) is working
    assert rules.counts_working_days(rules.Method.single_source)


def test_three_working_days_across_national_day_and_its_make_up_saturday():
    # Published Tuesday 29 September 2026, 10:00 in Shanghai: Wed 30 (1), 1–7 October off,
    # Thu 8 (2), Fri 9 (3) → not before Friday 9 October 10:00.
    published = datetime(2026, 9, 29, 10, 0, tzinfo=SHANGHAI)
    earliest = rules.earliest_deadline(published, 3, True, NATIONAL_DAY, SHANGHAI)
    assert earliest == datetime(2026, 10, 9, 10, 0, tzinfo=SHANGHAI)
    # Published Thursday 8 October: Fri 9, Sat 10 (make-up working day), Mon 12.
    published = datetime(2026, 10, 8, 10, 0, tzinfo=SHANGHAI)
    earliest = rules.earliest_deadline(published, 3, True, NATIONAL_DAY, SHANGHAI)
    assert earliest == datetime(2026, 10, 12, 10, 0, tzinfo=SHANGHAI)
    errors = Collector()
    rules.bid_period_errors(
        published, earliest - timedelta(minutes=1), 3, True, NATIONAL_DAY, SHANGHAI, errors
    )
    assert errors.errors[0].message.endswith("not before 2026-10-12 10:00")
    rules.bid_period_errors(published, earliest, 3, True, NATIONAL_DAY, SHANGHAI, errors)
    assert len(errors.errors) == 1
    # Calendar days ignore the holiday: 3 days after 29 September is 2 October.
    assert rules.earliest_deadline(
        datetime(2026, 9, 29, 10, 0, tzinfo=SHANGHAI), 3, False, NATIONAL_DAY, SHANGHAI
    ) == datetime(2026, 10, 2, 10, 0, tzinfo=SHANGHAI)


def test_an_envelope_is_padded_to_its_bucket_and_still_reads_as_the_content():
    import json

    short = sealing.padded(sealing.canonical({"price": "9.99"}))
    long = sealing.padded(sealing.canonical({"price": "1234567.89", "lines": [["a", "1"]]}))
    assert len(short) == len(long) == sealing.PAD_BUCKET
    assert json.loads(short) == {"price": "9.99"}


def test_rule_messages_speak_chinese():
    from vendorgov.i18n import using_locale

    criteria = [
        Criterion("price", "价格", Decimal(5)),
        Criterion("technical", "技术", Decimal(90)),
    ]
    with using_locale("zh_CN"):
        errors = Collector()
        rules.criteria_errors(criteria, rules.EvaluationMethod.comprehensive, errors)
        rules.price_lines_errors(Decimal("100.00"), [("保洁", Decimal("90.00"))], errors)
        order = ranking_rules.award_order_error(2, [1, 2, 3], set())
    messages = [e.message for e in errors.errors]
    assert "权重合计须为 100（当前合计 95）" in messages
    assert "服务类项目价格分权重不得低于 10%（当前为 5%）" in messages
    assert "分项合计须等于投标总价 100.00" in messages
    assert order.startswith("只有排在前面的中标候选人") and "第2中标候选人" in order
