"""Inspection score (domain rules §5): hand-computed cases and properties."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vendorgov.inspections.rules import ItemOutcome, ItemResult, inspection_score, results_errors

P, F, NA = ItemResult.passed, ItemResult.failed, ItemResult.not_applicable


def items(*pairs):
    return [ItemOutcome(Decimal(str(w)), r) for w, r in pairs]


@pytest.mark.parametrize(
    ("checklist", "expected"),
    [
        # Ward cleaning: floors (3) pass, toilets (2) fail, the isolation room (5) is N/A:
        # 100 × 3 / (3 + 2) = 60.
        (items((3, P), (2, F), (5, NA)), Decimal("60.00")),
        (items((1, P), (2, F)), Decimal("33.33")),  # 33.333… rounds down
        (items((2, P), (1, F)), Decimal("66.67")),  # 66.666… rounds up
        (items((1, P), (1, P), (0.5, NA)), Decimal("100.00")),
        (items((4, F)), Decimal("0.00")),
        (items((1, P), (7, F)), Decimal("12.50")),
    ],
)
def test_hand_computed_scores(checklist, expected):
    assert inspection_score(checklist) == expected


def test_nothing_to_score_when_every_item_is_not_applicable():
    assert inspection_score(items((2, NA), (1, NA))) is None
    assert inspection_score([]) is None


weights = st.decimals(min_value=Decimal("0.1"), max_value=Decimal(20), places=1)
outcomes = st.lists(
    st.builds(ItemOutcome, weights, st.sampled_from(list(ItemResult))), min_size=1, max_size=30
)


@given(outcomes)
def test_score_is_a_percentage_and_ignores_not_applicable_items(checklist):
    score = inspection_score(checklist)
    scored = [i for i in checklist if i.result is not NA]
    if not scored:
        assert score is None
        return
    assert Decimal(0) <= score <= Decimal(100)
    assert inspection_score(scored) == score
    assert inspection_score([*checklist, ItemOutcome(Decimal(9), NA)]) == score


@given(outcomes, st.integers(min_value=2, max_value=9))
def test_scaling_every_weight_changes_nothing(checklist, factor):
    scaled = [ItemOutcome(i.weight * factor, i.result) for i in checklist]
    assert inspection_score(scaled) == inspection_score(checklist)


def test_every_item_needs_a_known_result():
    errors = results_errors([1, 2, 3], {1: "pass", 2: "", 4: "fail", 3: "maybe"})
    found = {(e.field, e.rule) for e in errors.errors}
    assert found == {
        ("items.2", "required"),
        ("items.3", "one_of"),
        ("items.4", "unknown_item"),
    }
    assert not results_errors([1, 2], {1: "pass", 2: "na"}).errors
