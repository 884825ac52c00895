"""Exact values for the assessment (domain rules §6): components are fractions from the measured
data to the score, never rounded on the way; the score is the one value rounded. These helpers
round an exact value half up for storage or display, and write it as text that reads back
exactly (a terminating decimal, or "p/q" when it has none, e.g. 5219/60 = 86.98333…)."""

from __future__ import annotations

from decimal import Decimal, localcontext
from fractions import Fraction

Exact = Fraction | Decimal | int


def rounded(value: Exact, places: int = 2) -> Decimal:
    """`value` rounded to `places` decimals, half away from zero (ROUND_HALF_UP), computed on
    the exact value (a Decimal division would round first, at its precision)."""
    exact = Fraction(value)
    numerator, denominator = exact.numerator * 10**places, exact.denominator
    # ⌊|n|/d + 1/2⌋ in integers: a month-end rounds tens of thousands of values.
    whole = (2 * abs(numerator) + denominator) // (2 * denominator)
    return Decimal(whole if numerator >= 0 else -whole).scaleb(-places)


def _terminates(denominator: int) -> bool:
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    return denominator == 1


def text(value: Exact) -> str:
    """The exact value as text: '86.98', '100', or '5219/60' when no decimal is exact."""
    exact = Fraction(value)
    if not _terminates(exact.denominator):
        return f"{exact.numerator}/{exact.denominator}"
    with localcontext() as context:
        context.prec = len(str(exact.numerator)) + len(str(exact.denominator)) + 2
        quotient = Decimal(exact.numerator) / Decimal(exact.denominator)
    return format(quotient.normalize(), "f")


def parse(value: str) -> Fraction:
    """text() read back."""
    return Fraction(value)
