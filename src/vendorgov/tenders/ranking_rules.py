"""Tender ranking rules (§3, §3a, MoF Order 87 Art. 68): SME price deduction, price scores,
totals, ranks, the tie rule, candidates and the award order. Plain functions, no I/O.

Scores are kept exact (Decimal) until the total, which is rounded to 2 decimals half-up as §3
says; price scores and criterion means are shown rounded to 2 decimals but computed exactly,
so that a total never depends on how its parts were displayed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from vendorgov.errors import Collector
from vendorgov.i18n import N_, _
from vendorgov.tenders.rules import HUNDRED, Criterion, EvaluationMethod, two_places

# At most this many recommended candidates (§3).
CANDIDATES = 3


# --- small and micro enterprises (§3a) -----------------------------------------------------

SME_PERCENT_RANGE = (Decimal(10), Decimal(20))


def sme_percent_errors(percent: Decimal | None, errors: Collector) -> None:
    low, high = SME_PERCENT_RANGE
    if percent is None or not percent.is_finite() or not low <= percent <= high:
        errors.add(
            "sme_percent",
            "range",
            _("a deduction from %(low)s%% to %(high)s%%", low=low, high=high),
        )
    elif percent != two_places(percent):
        errors.add("sme_percent", "range", _("at most 2 decimals"))


def evaluated_prices(
    prices: Mapping[int, Decimal], sme: Collection[int], percent: Decimal
) -> dict[int, Decimal]:
    """§3a: for the price score only, a small or micro enterprise's price is reduced by the
    tender's percent (exact; the bid and contract price stay as offered)."""
    factor = (HUNDRED - percent) / HUNDRED
    return {bid: price * factor if bid in sme else price for bid, price in prices.items()}


# --- scoring --------------------------------------------------------------------------------


def price_scores(prices: Mapping[int, Decimal]) -> dict[int, Decimal]:
    """(lowest valid price / bid price) × 100, exact. Given evaluated prices (SME deduction
    applied), it is lowest evaluated price / own evaluated price × 100."""
    if not prices:
        return {}
    lowest = min(prices.values())
    return {bid: lowest / price * HUNDRED for bid, price in prices.items()}


def criterion_means(
    scores: Mapping[int, Mapping[str, Sequence[Decimal]]],
) -> dict[int, dict[str, Decimal]]:
    """A bid's criterion score is the mean of its evaluators' scores."""
    return {
        bid: {
            key: sum(values, Decimal(0)) / len(values) for key, values in by_key.items() if values
        }
        for bid, by_key in scores.items()
    }


def past_performance_score(mean: Decimal | None, criterion: Criterion) -> Decimal:
    """§3a: the bidder's mean monthly score over its last 12 approved months, or the score
    the tender states for a bidder without history."""
    if mean is not None:
        return mean
    return criterion.no_history_score if criterion.no_history_score is not None else Decimal(0)


def totals(
    criteria: Sequence[Criterion],
    prices: Mapping[int, Decimal],
    means: Mapping[int, Mapping[str, Decimal]],
) -> dict[int, Decimal]:
    """Σ weight × score / 100, rounded to 2 decimals. A criterion nobody scored counts 0.
    `prices` are the evaluated prices (see evaluated_prices)."""
    price_score = price_scores(prices)
    result = {}
    for bid in prices:
        total = Decimal(0)
        for c in criteria:
            score = price_score[bid] if c.is_price else means.get(bid, {}).get(c.key, Decimal(0))
            total += c.weight * score / HUNDRED
        result[bid] = two_places(total)
    return result


def technical_scores(
    criteria: Sequence[Criterion], means: Mapping[int, Mapping[str, Decimal]], bids: Iterable[int]
) -> dict[int, Decimal]:
    """Σ weight × score / 100 over the non-price criteria, exact: what the "higher technical
    score first" tie rule compares."""
    return {
        bid: sum(
            (
                c.weight * means.get(bid, {}).get(c.key, Decimal(0)) / HUNDRED
                for c in criteria
                if not c.is_price
            ),
            Decimal(0),
        )
        for bid in bids
    }


@dataclass(frozen=True)
class Ranked:
    bid: int
    rank: int
    price: Decimal
    total: Decimal | None  # None under the lowest-price method


def _competition_ranks(ids: Sequence[int], key) -> list[Ranked]:
    ordered = sorted(ids, key=lambda bid: (key(bid), bid))
    ranked: list[Ranked] = []
    for position, bid in enumerate(ordered, start=1):
        same = ranked and key(ranked[-1].bid) == key(bid)
        ranked.append(Ranked(bid, ranked[-1].rank if same else position, Decimal(0), None))
    return ranked


def rank_comprehensive(
    totals_: Mapping[int, Decimal], prices: Mapping[int, Decimal]
) -> list[Ranked]:
    """Total descending; equal totals by (evaluated) price ascending; equal total and price
    share the rank (the next rank skips, 1, 1, 3). Among equals the listing order is by bid
    id, which the rank numbers never depend on; candidate_order orders them."""
    ranked = _competition_ranks(list(totals_), lambda b: (-totals_[b], prices[b]))
    return [Ranked(r.bid, r.rank, prices[r.bid], totals_[r.bid]) for r in ranked]


def rank_lowest_price(prices: Mapping[int, Decimal]) -> list[Ranked]:
    """(Evaluated) price ascending; equal prices share the rank."""
    ranked = _competition_ranks(list(prices), lambda b: prices[b])
    return [Ranked(r.bid, r.rank, prices[r.bid], None) for r in ranked]


# --- tie rule and candidates (§3, Order 87 Art. 68) ------------------------------------------


class TieRule(StrEnum):
    technical = "technical"  # higher Σ weighted non-price scores first, then a draw
    draw = "draw"  # a random draw with a recorded seed


TIE_RULE_LABELS: dict[str, tuple[str, str]] = {
    "": (N_("None stated: a random draw, recorded with its seed"), "未规定：随机抽取"),
    TieRule.technical: (N_("Higher technical score first"), "技术得分高者优先"),
    TieRule.draw: (N_("Random draw, recorded with its seed"), "随机抽取"),
}


def tie_rule_errors(rule: str, evaluation: EvaluationMethod | None, errors: Collector) -> None:
    if rule not in TIE_RULE_LABELS:
        errors.add("tie_rule", "one_of", _("one of: none, %(rules)s", rules=", ".join(TieRule)))
    elif rule == TieRule.technical and evaluation is EvaluationMethod.lowest_price:
        errors.add(
            "tie_rule",
            "technical",
            _("the lowest-price method has no technical score to compare"),
        )


def draw_key(seed: str, bid: int) -> str:
    """A bid's place in the draw: SHA-256 of "seed:bid id", smaller first. Anyone holding the
    seed recomputes the order."""
    return hashlib.sha256(f"{seed}:{bid}".encode()).hexdigest()


def candidate_order(
    ranked: Sequence[Ranked],
    rule: str = "",
    technical: Mapping[int, Decimal] | None = None,
    seed: str = "",
) -> list[Ranked]:
    """Every ranked bid in one total order: by rank; bids sharing a rank (tied on total and
    price) by the tender's tie rule (higher technical score first), and what is still tied by
    the draw of `seed`. Without a seed (before the draw is made) the remaining ties are listed
    by bid id, provisionally."""

    def key(r: Ranked):
        tech = -(technical or {}).get(r.bid, Decimal(0)) if rule == TieRule.technical else 0
        return (r.rank, tech, draw_key(seed, r.bid) if seed else "", r.bid)

    return sorted(ranked, key=key)


def needs_draw(
    ranked: Sequence[Ranked], rule: str = "", technical: Mapping[int, Decimal] | None = None
) -> list[list[int]]:
    """The groups of bids the tie rule leaves tied (each sorted by bid id): what the draw
    orders. Empty when no draw is needed."""
    groups: dict[tuple, list[int]] = {}
    for r in ranked:
        tech = (technical or {}).get(r.bid, Decimal(0)) if rule == TieRule.technical else 0
        groups.setdefault((r.rank, tech), []).append(r.bid)
    return [sorted(g) for g in groups.values() if len(g) > 1]


def candidates(ordered: Sequence[Ranked], limit: int = CANDIDATES) -> list[Ranked]:
    """The first `limit` of the candidate order (candidate_order): always min(limit, bids),
    a tie straddling the last place ordered like any other."""
    return list(ordered[:limit])


class PassGround(StrEnum):
    declined = "declined"
    failed_to_sign = "failed_to_sign"
    ineligible = "ineligible"


PASS_GROUND_LABELS: dict[str, tuple[str, str]] = {
    PassGround.declined: (N_("Declined the award"), "放弃中标"),
    PassGround.failed_to_sign: (N_("Failed to sign the contract"), "拒绝签订合同"),
    PassGround.ineligible: (N_("Found ineligible"), "经查实不符合中标条件"),
}


def next_candidate(candidate_ids: Sequence[int], passed_over: Collection[int]) -> int | None:
    """Order 87 Art. 68: the candidate to award now, the first not passed over; None when
    every candidate was passed over (the tender is then failed or run again)."""
    return next((b for b in candidate_ids if b not in passed_over), None)


def award_order_error(
    bid: int, candidate_ids: Sequence[int], passed_over: Collection[int]
) -> str | None:
    """Why `bid` may not be awarded (or passed over) now; None when it is the next candidate."""
    if bid not in candidate_ids:
        return _("only a recommended candidate can be awarded (§3: at most 3, in order)")
    if bid in passed_over:
        return _("this candidate was passed over")
    position = candidate_ids.index(bid) + 1
    if next_candidate(candidate_ids, passed_over) != bid:
        return _(
            "candidate %(position)s may be taken only when every candidate before it is "
            "recorded as passed over, with the ground and its evidence (Order 87 Art. 68)",
            position=position,
        )
    return None
