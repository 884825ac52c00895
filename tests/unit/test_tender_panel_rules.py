"""§3's panel rules: sizes by method and budget ceiling, odd, two thirds experts; the random
draw of experts reproduced from its seed."""

import random
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vendorgov.tenders import panel_rules
from vendorgov.tenders.panel_rules import PanelSizes
from vendorgov.tenders.rules import Method

TEN_MILLION = D("10000000.00")


def broken(experts, reps, method, ceiling=D("2880000.00"), sizes=PanelSizes()):
    return {p.rule for p in panel_rules.panel_errors(experts, reps, method, ceiling, sizes)}


def test_minimum_by_method_and_budget_ceiling():
    # Open and invited: 5, and 7 from ¥10,000,000 (the boundary itself counts as large).
    assert panel_rules.min_panel(Method.open, D("9999999.99")) == 5
    assert panel_rules.min_panel(Method.open, TEN_MILLION) == 7
    assert panel_rules.min_panel(Method.invited, D("2880000.00")) == 5
    assert panel_rules.min_panel(Method.invited, D("12000000.00")) == 7
    # Negotiation and consultation: 3 whatever the budget.
    assert panel_rules.min_panel(Method.negotiation, D("50000000.00")) == 3
    assert panel_rules.min_panel(Method.consultation, D("800000.00")) == 3
    # The settings move the minimums.
    sizes = PanelSizes(open_minimum=7, large_minimum=9, large_budget=D(5_000_000))
    assert panel_rules.min_panel(Method.open, D("4999999.99"), sizes) == 7
    assert panel_rules.min_panel(Method.open, D("5000000.00"), sizes) == 9


def test_panels_hand_checked():
    assert broken(5, 0, Method.open) == set()
    assert broken(4, 1, Method.open) == set()  # 4 of 5 experts ≥ two thirds
    assert broken(3, 2, Method.open) == {"panel_experts"}  # 3 of 5 < two thirds (3.33)
    assert broken(3, 0, Method.open) == {"panel_size"}
    assert broken(4, 2, Method.open) == {"panel_odd"}
    assert broken(5, 0, Method.invited, TEN_MILLION) == {"panel_size"}
    assert broken(5, 2, Method.invited, TEN_MILLION) == set()  # 5 of 7: 15 ≥ 14
    assert broken(4, 3, Method.open, TEN_MILLION) == {"panel_experts"}  # 4 of 7: 12 < 14
    assert broken(2, 1, Method.negotiation) == set()  # 2 of 3 is exactly two thirds
    assert broken(1, 2, Method.consultation) == {"panel_experts"}
    assert broken(2, 0, Method.consultation) == {"panel_size", "panel_odd"}
    assert broken(0, 0, Method.negotiation) == {"panel_size", "panel_odd"}


def test_problems_say_what_is_wrong_in_words():
    (size,) = panel_rules.panel_errors(3, 0, Method.open)
    assert size.message % size.params == "this tender's panel needs at least 5 members (it has 3)"
    (experts,) = panel_rules.panel_errors(3, 2, Method.open)
    assert experts.message % experts.params == (
        "at least two thirds of the panel must be experts (3 of 5 are)"
    )


def test_experts_needed_with_representatives():
    assert panel_rules.experts_needed(0, Method.open) == 5
    assert panel_rules.experts_needed(1, Method.open) == 4
    assert panel_rules.experts_needed(2, Method.open) == 5  # 7 members: 5 experts
    assert panel_rules.experts_needed(2, Method.open, TEN_MILLION) == 5
    assert panel_rules.experts_needed(3, Method.open, TEN_MILLION) == 6  # 9 members
    assert panel_rules.experts_needed(0, Method.negotiation) == 3
    assert panel_rules.experts_needed(1, Method.consultation) == 2


SEED = "5f0c3a9e2b7d4c1a8e6f0b3d9c2a7e41"
POOL = [57, 3, 42, 21, 8, 34, 15, 11]


def test_draw_from_a_fixed_seed():
    # By definition: random.Random(seed).sample over the eligible ids in ascending order.
    drawn = panel_rules.draw(POOL, SEED, 5)
    assert drawn == random.Random(SEED).sample([3, 8, 11, 15, 21, 34, 42, 57], 5)
    assert drawn == [15, 21, 11, 8, 34]
    # The same seed draws the same, whatever order the pool came in.
    assert panel_rules.draw(sorted(POOL, reverse=True), SEED, 5) == drawn
    # Leaving out the panel (and the conflicted 42), one replacement:
    assert panel_rules.draw(POOL, SEED, 1, [*drawn, 42]) == [3]
    assert random.Random(SEED).sample([3, 57], 1) == [3]
    assert panel_rules.draw(POOL, SEED, 0) == []


def test_draw_refuses_more_than_the_eligible():
    with pytest.raises(ValueError):
        panel_rules.draw(POOL, SEED, 8, [3])
    with pytest.raises(ValueError):
        panel_rules.draw(POOL, SEED, -1)


@given(
    pool=st.sets(st.integers(1, 10_000), min_size=1, max_size=40),
    seed=st.text(min_size=1, max_size=40),
    data=st.data(),
)
def test_draw_properties(pool, seed, data):
    excluded = data.draw(st.sets(st.sampled_from(sorted(pool))))
    eligible = pool - excluded
    n = data.draw(st.integers(0, len(eligible)))
    drawn = panel_rules.draw(list(pool), seed, n, excluded)
    assert len(drawn) == n == len(set(drawn))
    assert set(drawn) <= eligible
    assert panel_rules.draw(sorted(pool, reverse=True), seed, n, list(excluded)) == drawn
    assert drawn == random.Random(seed).sample(sorted(eligible), n)


@given(
    experts=st.integers(0, 40),
    reps=st.integers(0, 20),
    method=st.sampled_from(list(Method)),
    ceiling=st.decimals(0, 50_000_000, places=2),
)
def test_panel_rules_properties(experts, reps, method, ceiling):
    found = broken(experts, reps, method, ceiling)
    size = experts + reps
    valid = (
        size % 2 == 1 and size >= panel_rules.min_panel(method, ceiling) and 3 * experts >= 2 * size
    )
    assert (not found) == valid
    needed = panel_rules.experts_needed(reps, method, ceiling)
    assert not broken(needed, reps, method, ceiling)
    assert all(broken(e, reps, method, ceiling) for e in range(needed))
