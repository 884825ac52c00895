"""Tender panel rules (§3): panel sizes by method and budget, the two-thirds experts rule and
the reproducible random draw of experts. Plain functions, no I/O."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from vendorgov.i18n import N_
from vendorgov.tenders.rules import Method


class PanelRole(StrEnum):
    expert = "expert"
    purchaser_rep = "purchaser_rep"


PANEL_ROLE_LABELS: dict[str, tuple[str, str]] = {
    PanelRole.expert: (N_("Expert"), "评审专家"),
    PanelRole.purchaser_rep: (N_("Purchaser representative"), "采购人代表"),
}


@dataclass(frozen=True)
class PanelSizes:
    """§3's panel minimums (settings): open and invited tenders at least `open_minimum`, and
    `large_minimum` when the budget ceiling is `large_budget` or more; other methods 3."""

    open_minimum: int = 5
    large_minimum: int = 7
    large_budget: Decimal = Decimal(10_000_000)


def min_panel(
    method: Method, budget_ceiling: Decimal = Decimal(0), sizes: PanelSizes = PanelSizes()
) -> int:
    """The smallest panel §3 allows for a tender of this method and budget ceiling."""
    if method in (Method.open, Method.invited):
        if budget_ceiling >= sizes.large_budget:
            return sizes.large_minimum
        return sizes.open_minimum
    return 3


@dataclass(frozen=True)
class PanelProblem:
    """A rule the panel breaks: `message` is a msgid, formatted with `params`."""

    rule: str
    message: str
    params: dict


def panel_errors(
    experts: int,
    representatives: int,
    method: Method,
    budget_ceiling: Decimal = Decimal(0),
    sizes: PanelSizes = PanelSizes(),
) -> list[PanelProblem]:
    """Every §3 rule a panel of `experts` experts and `representatives` purchaser
    representatives breaks: at least the minimum, an odd number, at least two thirds experts."""
    size = experts + representatives
    minimum = min_panel(method, budget_ceiling, sizes)
    problems = []
    if size < minimum:
        problems.append(
            PanelProblem(
                "panel_size",
                N_("this tender's panel needs at least %(minimum)s members (it has %(size)s)"),
                {"minimum": minimum, "size": size},
            )
        )
    if size % 2 == 0:
        problems.append(
            PanelProblem(
                "panel_odd",
                N_("the panel must have an odd number of members (it has %(size)s)"),
                {"size": size},
            )
        )
    if experts * 3 < size * 2:
        problems.append(
            PanelProblem(
                "panel_experts",
                N_(
                    "at least two thirds of the panel must be experts (%(experts)s of %(size)s are)"
                ),
                {"experts": experts, "size": size},
            )
        )
    return problems


def experts_needed(
    representatives: int,
    method: Method,
    budget_ceiling: Decimal = Decimal(0),
    sizes: PanelSizes = PanelSizes(),
) -> int:
    """The fewest experts that make a valid panel with these purchaser representatives."""
    experts = 0
    while panel_errors(experts, representatives, method, budget_ceiling, sizes):
        experts += 1
    return experts


def draw(pool: Iterable[int], seed: str, n: int, excluded: Iterable[int] = ()) -> list[int]:
    """§3's random draw of `n` experts, reproducible from its seed: the pool's account ids
    without the excluded ones, in ascending order, sampled by random.Random(seed).sample.
    The order of the result is the order of the draw."""
    eligible = sorted(set(pool) - set(excluded))
    if not 0 <= n <= len(eligible):
        raise ValueError(f"cannot draw {n} of {len(eligible)}")
    return random.Random(seed).sample(eligible, n)
