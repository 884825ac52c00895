"""Month-end rules with no I/O (domain rules §6-§7): the score from its components, the grade,
the base fee prorated over the versions in force, deduction lines, the cap, the net, the
termination-review flag and spend concentration."""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from vendorgov import exact
from vendorgov.contracts.rules import Band, Penalty, Scheme
from vendorgov.exact import Exact
from vendorgov.money import cents

TWO = Decimal("0.01")
HUNDRED = Decimal(100)
COMPONENTS = ("sla", "inspection", "satisfaction", "audit")


def assessment_score(
    components: Mapping[str, Exact | None], scheme: Scheme
) -> tuple[Decimal | None, dict[str, Decimal]]:
    """Σ weight × component / Σ weights over the components with data, computed exactly and
    rounded once, to 2 decimals half up: the only rounding between the measured data and the
    grade (§6). A component without data is left out and the others' weights rescaled to 100.
    Returns the score (None when no component has data) and the rescaled weights used (to 2
    decimals, for display)."""
    present = {c: Fraction(components[c]) for c in COMPONENTS if components.get(c) is not None}
    weights = {c: Fraction(getattr(scheme, c)) for c in present}
    total = sum(weights.values(), Fraction(0))
    if not present or total == 0:
        return None, {}
    score = sum((weights[c] * present[c] for c in present), Fraction(0)) / total
    rescaled = {c: exact.rounded(100 * weights[c] / total) for c in present}
    return exact.rounded(score), rescaled


def grade(score: Decimal, bands: Sequence[Band]) -> Band:
    """The band of a (2-decimal) score: the highest minimum it reaches. Bands are validated to
    descend and cover 0–100 when the contract is signed."""
    for band in sorted(bands, key=lambda b: b.min_score, reverse=True):
        if score >= band.min_score:
            return band
    raise ValueError(f"no band covers {score}")


@dataclass(frozen=True)
class FeePeriod:
    """A contract version's fee and the local days of the month it governs."""

    version_number: int
    monthly_fee: Decimal
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def fee_periods(
    year: int,
    month: int,
    versions: Sequence[tuple[int, date, Decimal, Decimal | None]],
    contract_start: date,
    contract_end: date,
) -> list[FeePeriod]:
    """Which version governs which days of the month: each signed version (number, effective
    from, monthly fee, final month's fee or None) from its effective date until the next one's,
    within the contract term. In the month the term ends, a version's final month's fee replaces
    its monthly fee, so an awarded total is paid to the cent (contracts.rules.fee_schedule)."""
    month_first = date(year, month, 1)
    month_last = date(year, month, calendar.monthrange(year, month)[1])
    ordered = sorted(versions, key=lambda v: v[1])
    periods = []
    last_month = month_first <= contract_end <= month_last
    for index, (number, effective, monthly, final) in enumerate(ordered):
        fee = final if last_month and final is not None else monthly
        until = ordered[index + 1][1] - timedelta(days=1) if index + 1 < len(ordered) else None
        first = max(effective, month_first, contract_start)
        last = min(until or month_last, month_last, contract_end)
        if first <= last:
            periods.append(FeePeriod(number, fee, first, last))
    return periods


def base_fee_lines(
    periods: Sequence[FeePeriod], days_in_month: int
) -> list[tuple[FeePeriod, Decimal]]:
    """Each period's share: monthly fee × days in force / days in month, to the cent (§7)."""
    return [(p, cents(p.monthly_fee * p.days / days_in_month)) for p in periods]


@dataclass(frozen=True)
class Line:
    """One money line of a statement. Deductions are positive amounts taken off the base;
    `evidence` names what it stands on (finding, notice or event ids)."""

    kind: str  # base, grade, penalty, cap
    description: str
    amount: Decimal
    evidence: tuple[str, ...] = ()


def grade_deduction(base: Decimal, band: Band) -> Decimal:
    return cents(base * (HUNDRED - band.pay_percent) / HUNDRED)


def penalty_lines(
    penalties: Sequence[Penalty], evidence_by_trigger: Mapping[str, Sequence[str]]
) -> list[Line]:
    """A line per piece of evidence for every fixed penalty whose trigger occurred."""
    lines = []
    for penalty in penalties:
        for item in evidence_by_trigger.get(penalty.trigger, ()):
            lines.append(
                Line(
                    "penalty",
                    penalty.description or penalty.trigger,
                    cents(penalty.amount),
                    (item,),
                )
            )
    return lines


def cap_line(base: Decimal, deductions: Sequence[Line], cap_percent: Decimal | None) -> Line | None:
    """When deductions exceed cap % of the base, a negative line brings them down to the cap."""
    if cap_percent is None:
        return None
    cap = cents(base * cap_percent / HUNDRED)
    total = sum((d.amount for d in deductions), Decimal(0))
    if total <= cap:
        return None
    return Line("cap", f"deductions capped at {cap_percent}% of the base fee", cap - total)


def net_amount(base: Decimal, deductions: Sequence[Line]) -> Decimal:
    """Base minus the (already rounded) deduction lines."""
    return base - sum((d.amount for d in deductions), Decimal(0))


def termination_review(grades: Sequence[str]) -> bool:
    """D in the last two consecutive months, or in three of the last six (§7). `grades` is
    oldest first and ends with the month being closed."""
    last_two = list(grades[-2:])
    return last_two == ["D", "D"] or list(grades[-6:]).count("D") >= 3


def concentration(net_by_vendor: Mapping[str, Decimal]) -> tuple[dict[str, Decimal], Decimal]:
    """Each vendor's share (percent, 2 decimals) of the month's net payments and the
    Herfindahl–Hirschman index (Σ share², 0–10,000; above 2,500 is highly concentrated)."""
    total = sum(net_by_vendor.values(), Decimal(0))
    if total <= 0:
        return {}, Decimal(0)
    shares = {v: HUNDRED * amount / total for v, amount in net_by_vendor.items()}
    hhi = sum((s * s for s in shares.values()), Decimal(0))
    return (
        {v: s.quantize(TWO, ROUND_HALF_UP) for v, s in shares.items()},
        hhi.quantize(TWO, ROUND_HALF_UP),
    )
