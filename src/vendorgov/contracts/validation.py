"""Checking a contract's terms (domain rules §4–§7), with no I/O: each clause's target and
minimum, the grade bands, penalties, the scheme's weights and the fees against the term;
every broken rule named with its field, in words."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import date
from decimal import Decimal

from vendorgov.contracts.rules import (
    CLAUSE_KINDS,
    GRADES,
    LEVELS,
    PENALTY_TRIGGERS,
    PRIORITIES,
    Band,
    Clause,
    ClauseKind,
    Scheme,
    Terms,
)
from vendorgov.errors import Collector
from vendorgov.humane import joined, pair_label
from vendorgov.i18n import N_, _
from vendorgov.money import CENT


def _better_or_equal(kind: ClauseKind, a: Decimal, b: Decimal) -> bool:
    return a >= b if CLAUSE_KINDS[kind]["higher_is_better"] else a <= b


def clause_errors(clause: Clause, prefix: str, errors: Collector) -> None:
    try:
        kind = ClauseKind(clause.kind)
    except ValueError:
        errors.add(
            f"{prefix}.kind",
            "unknown_kind",
            _(
                "Clause type: “%(kind)s” is not a clause type; choose one of %(kinds)s.",
                kind=clause.kind,
                kinds=joined(pair_label(k["label"]) for k in CLAUSE_KINDS.values()),
            ),
        )
        return
    if not clause.code:
        errors.add(
            f"{prefix}.code",
            "required",
            _("Clause code: give the clause a short code, e.g. SLA-1."),
        )
    if not clause.name:
        errors.add(f"{prefix}.name", "required", _("Clause name: required; name what is measured."))
    if clause.weight <= 0:
        errors.add(f"{prefix}.weight", "positive", _("Clause weight: must be greater than 0."))
    percent = CLAUSE_KINDS[kind]["unit"] == "%"
    for name in ("target", "minimum"):
        value = getattr(clause, name)
        if value < 0 or (percent and value > 100):
            errors.add(
                f"{prefix}.{name}",
                "range",
                _("Clause %(what)s: a percentage from 0 to 100.", what=_(LEVELS[name]))
                if percent
                else _("Clause %(what)s: must be 0 or more.", what=_(LEVELS[name])),
            )
    if not _better_or_equal(kind, clause.target, clause.minimum) or (
        clause.target == clause.minimum
    ):
        message = (
            N_(
                "Clause target: for %(kind)s the target must be above the minimum (target "
                "%(target)s, minimum %(minimum)s)."
            )
            if CLAUSE_KINDS[kind]["higher_is_better"]
            else N_(
                "Clause target: for %(kind)s the target must be below the minimum (target "
                "%(target)s, minimum %(minimum)s)."
            )
        )
        errors.add(
            f"{prefix}.target",
            "target_better_than_minimum",
            _(
                message,
                kind=pair_label(CLAUSE_KINDS[kind]["label"]),
                target=clause.target,
                minimum=clause.minimum,
            ),
        )
    if CLAUSE_KINDS[kind]["threshold"]:
        if clause.threshold_minutes is None or clause.threshold_minutes <= 0:
            errors.add(
                f"{prefix}.threshold_minutes",
                "required",
                _(
                    "Threshold (minutes): %(kind)s needs a threshold in whole minutes, more "
                    "than 0.",
                    kind=pair_label(CLAUSE_KINDS[kind]["label"]),
                ),
            )
    elif clause.threshold_minutes is not None:
        errors.add(
            f"{prefix}.threshold_minutes",
            "not_applicable",
            _(
                "Threshold (minutes): %(kind)s has no threshold; leave it empty.",
                kind=pair_label(CLAUSE_KINDS[kind]["label"]),
            ),
        )
    if clause.priority and clause.priority not in PRIORITIES:
        errors.add(
            f"{prefix}.priority",
            "unknown_priority",
            _("Priority: emergency, urgent or routine, or empty for all priorities."),
        )


def bands_errors(bands: Sequence[Band], errors: Collector) -> None:
    if not bands:
        errors.add("bands", "required", _("Payment bands: give at least one grade band."))
        return
    grades = [b.grade for b in bands]
    if len(set(grades)) != len(grades) or any(g not in GRADES for g in grades):
        errors.add(
            "bands",
            "grades",
            _("Payment bands: each grade once, from %(grades)s.", grades=joined(GRADES)),
        )
    mins = [b.min_score for b in bands]
    if any(a <= b for a, b in zip(mins, mins[1:], strict=False)):
        errors.add(
            "bands",
            "descending",
            _("Payment bands: each band's minimum score must be lower than the one above it."),
        )
    if mins[0] > 100 or mins[-1] != 0:
        errors.add(
            "bands",
            "cover_0_100",
            _(
                "Payment bands: together they must cover scores 0–100: the first starts at "
                "100 or lower, the last at 0."
            ),
        )
    pays = [b.pay_percent for b in bands]
    if any(p < 0 or p > 100 for p in pays):
        errors.add("bands", "pay_range", _("Payment bands: pay percentages are from 0 to 100."))
    if any(a < b for a, b in zip(pays, pays[1:], strict=False)):
        errors.add(
            "bands",
            "pay_descending",
            _("Payment bands: a lower grade cannot pay more than a higher one."),
        )


def terms_errors(
    terms: Terms, term_start: date | None = None, term_end: date | None = None
) -> Collector:
    """Every rule a version's terms break (§4–§7)."""
    errors = Collector()
    if terms.monthly_fee <= 0:
        errors.add("monthly_fee", "positive", _("Monthly fee: must be more than 0 yuan."))
    elif terms.monthly_fee != terms.monthly_fee.quantize(CENT):
        errors.add("monthly_fee", "cents", _("Monthly fee: at most 2 decimals (yuan and fen)."))
    final = terms.final_month_fee
    if final is not None and final <= 0:
        errors.add("final_month_fee", "positive", _("Final month's fee: must be more than 0 yuan."))
    elif final is not None and final != final.quantize(CENT):
        errors.add(
            "final_month_fee", "cents", _("Final month's fee: at most 2 decimals (yuan and fen).")
        )
    if term_start and terms.effective_from < term_start:
        errors.add(
            "effective_from",
            "within_term",
            _(
                "Effective from: must be on or after the contract start, %(day)s.",
                day=term_start,
            ),
        )
    if term_end and terms.effective_from > term_end:
        errors.add(
            "effective_from",
            "within_term",
            _("Effective from: must be on or before the contract end, %(day)s.", day=term_end),
        )
    codes = [c.code for c in terms.clauses]
    duplicates = sorted({c for c in codes if c and codes.count(c) > 1})
    if duplicates:
        errors.add(
            "clauses",
            "unique_code",
            _(
                "SLA clauses: each clause needs its own code; %(codes)s is used more than once.",
                codes=joined(duplicates),
            ),
        )
    for index, clause in enumerate(terms.clauses):
        clause_errors(clause, f"clauses[{index}]", errors)
    weights = [getattr(terms.scheme, f.name) for f in fields(Scheme)]
    if any(w < 0 for w in weights):
        errors.add(
            "scheme", "non_negative", _("Payment scheme: component weights cannot be negative.")
        )
    if sum(weights) != 100:
        errors.add(
            "scheme",
            "sum_100",
            _(
                "Payment scheme: the component weights must add up to 100; now they add up "
                "to %(sum)s.",
                sum=sum(weights),
            ),
        )
    bands_errors(terms.bands, errors)
    for index, penalty in enumerate(terms.penalties):
        if penalty.trigger not in PENALTY_TRIGGERS:
            errors.add(
                f"penalties[{index}].trigger",
                "unknown_trigger",
                _(
                    "Penalty: choose what triggers it: %(triggers)s.",
                    triggers=joined(pair_label(t) for t in PENALTY_TRIGGERS.values()),
                ),
            )
        if penalty.amount <= 0 or penalty.amount != penalty.amount.quantize(CENT):
            errors.add(
                f"penalties[{index}].amount",
                "positive",
                _("Penalty amount: more than 0 yuan, with at most 2 decimals."),
            )
    d = terms.deadlines
    if min(d.critical, d.major, d.minor) <= 0:
        errors.add(
            "deadlines", "positive", _("Deadlines: each rectification deadline is at least 1 hour.")
        )
    elif not d.critical <= d.major <= d.minor:
        errors.add(
            "deadlines",
            "ordered",
            _(
                "Deadlines: a more severe finding cannot have a longer deadline (critical ≤ "
                "major ≤ minor)."
            ),
        )
    cap = terms.deduction_cap_percent
    if cap is not None and not (0 < cap <= 100):
        errors.add(
            "deduction_cap_percent",
            "range",
            _("Deduction cap (%): more than 0 and at most 100, or empty for no cap."),
        )
    return errors
