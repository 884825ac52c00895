"""Inspection rules with no I/O (domain rules §5): item results, the inspection score and
the draw of a month's inspection plan."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from vendorgov.errors import Collector
from vendorgov.i18n import _

TWO = Decimal("0.01")


class ItemResult(StrEnum):
    passed = "pass"
    failed = "fail"
    not_applicable = "na"


class InspectionKind(StrEnum):
    routine = "routine"
    spot_check = "spot_check"  # 抽查
    comprehensive = "comprehensive"  # 月度全面检查


@dataclass(frozen=True)
class ItemOutcome:
    weight: Decimal
    result: ItemResult


def inspection_score(items: Iterable[ItemOutcome]) -> Decimal | None:
    """100 × Σ weight(passed) / Σ weight(passed + failed), 2 decimals, half up; items not
    applicable count in neither sum. None when no item was passed or failed (nothing to score).
    """
    passed = failed = Decimal(0)
    for item in items:
        if item.result is ItemResult.passed:
            passed += item.weight
        elif item.result is ItemResult.failed:
            failed += item.weight
    if passed + failed == 0:
        return None
    return (Decimal(100) * passed / (passed + failed)).quantize(TWO, rounding=ROUND_HALF_UP)


def results_errors(item_ids: Iterable[int], results: dict[int, str]) -> Collector:
    """Every checklist item needs a result, and only pass / fail / na: a missing one is an
    error naming the item, not a silent pass."""
    errors = Collector()
    expected = list(item_ids)
    for item_id in expected:
        value = results.get(item_id)
        if value is None or value == "":
            errors.add(f"items.{item_id}", "required", _("Choose pass, fail or not applicable."))
        elif value not in {r.value for r in ItemResult}:
            errors.add(
                f"items.{item_id}",
                "one_of",
                _("“%(value)s” is not a result; use pass, fail or na.", value=value),
            )
    for item_id in results.keys() - set(expected):
        errors.add(
            f"items.{item_id}",
            "unknown_item",
            _("This item is not on the checklist; leave it out."),
        )
    return errors


@dataclass(frozen=True)
class PlannedVisit:
    kind: InspectionKind
    due_on: date
    location_id: int | None  # None: the comprehensive inspection covers the whole scope


def draw_plan(
    seed: str, days: Sequence[date], places: Sequence[int], spot_checks: int
) -> list[PlannedVisit]:
    """A month's plan: the comprehensive inspection on a random day, and `spot_checks` spot
    checks on random days at random places (distinct while there are enough places). Only
    the seed decides: the same seed, days and places always draw the same plan."""
    rng = random.Random(seed)
    comprehensive = PlannedVisit(InspectionKind.comprehensive, rng.choice(days), None)
    ordered = sorted(places)
    if not ordered:
        return [comprehensive]
    chosen: list[int] = []
    while len(chosen) < spot_checks:
        chosen += rng.sample(ordered, min(len(ordered), spot_checks - len(chosen)))
    visits = [PlannedVisit(InspectionKind.spot_check, rng.choice(days), place) for place in chosen]
    return [comprehensive, *sorted(visits, key=lambda v: (v.due_on, v.location_id))]
