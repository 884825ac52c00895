"""Past performance for tenders (§3a): a vendor's mean monthly score over its last 12 approved
months, read from the approved runs (the latest approved revision of each month). The tenders
domain calls this service; it never reads the payments tables itself."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from vendorgov import db
from vendorgov.money import cents

MONTHS = 12


@dataclass(frozen=True)
class PastPerformance:
    score: Decimal | None  # None: no approved month with a score
    months: int  # how many months the mean is over


def mean_of_last_months(
    by_month: Mapping[str, Sequence[Decimal]], months: int = MONTHS
) -> PastPerformance:
    """The mean of the last `months` months' scores ("YYYY-MM" → the scores of the vendor's
    contracts that month; a month's score is their mean), rounded to 2 decimals half up."""
    recent = [m for m in sorted(by_month) if by_month[m]][-months:]
    if not recent:
        return PastPerformance(None, 0)
    monthly = [sum(by_month[m], Decimal(0)) / len(by_month[m]) for m in recent]
    return PastPerformance(cents(sum(monthly, Decimal(0)) / len(monthly)), len(recent))


async def past_performance(
    vendor_ids: Sequence[int], up_to_month: str, months: int = MONTHS
) -> dict[int, PastPerformance]:
    """Each vendor's mean monthly score over its last `months` approved months up to and
    including `up_to_month` ("YYYY-MM")."""
    if not vendor_ids:
        return {}
    ids = list(dict.fromkeys(vendor_ids))
    rows = await db.fetch(
        "SELECT s.vendor_id, s.contract, s.score, r.month, r.revision FROM payment_statement s "
        "JOIN payment_run r ON r.id = s.run WHERE r.status = 'approved' AND r.month <= {} "
        f"AND s.vendor_id IN ({', '.join(['{}'] * len(ids))})",
        up_to_month,
        *ids,
    )
    # The latest approved revision of each month only (an approved month recomputed and
    # approved again replaces the earlier one; a revision holds every contract of its month).
    latest: dict[tuple[int, str], int] = {}
    for r in rows:
        key = (r["vendor_id"], r["month"])
        latest[key] = max(latest.get(key, 0), r["revision"])
    by_vendor: dict[int, dict[str, list[Decimal]]] = {v: {} for v in ids}
    for r in rows:
        if r["revision"] != latest[(r["vendor_id"], r["month"])] or r["score"] is None:
            continue
        by_vendor[r["vendor_id"]].setdefault(r["month"], []).append(db.two_places(r["score"]))
    return {v: mean_of_last_months(by_vendor[v], months) for v in ids}
