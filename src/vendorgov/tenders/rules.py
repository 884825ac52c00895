"""Tender rules (domain rules §3, §3a, MoF Order 87) up to opening: life cycle, methods,
criteria, publication and bid periods, price lines, bid validity and abnormally low prices.
Plain functions, no I/O. Price scores, ranking and the award order are in ranking_rules, the
panel's sizes and draw in panel_rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from vendorgov.errors import Collector
from vendorgov.humane import STATUS_LABELS as GLOSSARY_STATUSES
from vendorgov.i18n import N_, _
from vendorgov.money import cents
from vendorgov.recorded import sentence
from vendorgov.vendors.rules import QUALIFICATION_KINDS
from vendorgov.workdays.rules import Calendar, add_working_days

HUNDRED = Decimal(100)
PRICE_KEY = "price"


# Totals, shown scores and money all keep 2 decimals, half up.
two_places = cents

# What the NUMERIC(14, 2) price and ceiling columns hold.
MAX_AMOUNT = Decimal("999999999999.99")


def is_amount(value: Decimal) -> bool:
    """A finite amount with at most 2 decimals that the price columns can hold (NaN,
    infinities and huge exponents are not: comparing or rounding them raises)."""
    return value.is_finite() and abs(value) <= MAX_AMOUNT and value == two_places(value)


def is_score(value: Decimal) -> bool:
    """0 to 100 with at most 2 decimals."""
    return value.is_finite() and 0 <= value <= HUNDRED and value == two_places(value)


class Method(StrEnum):
    open = "open"
    invited = "invited"
    negotiation = "negotiation"
    consultation = "consultation"
    single_source = "single_source"


METHOD_LABELS: dict[str, tuple[str, str]] = {
    Method.open: (N_("Open tender"), "公开招标"),
    Method.invited: (N_("Invited tender"), "邀请招标"),
    Method.negotiation: (N_("Competitive negotiation"), "竞争性谈判"),
    Method.consultation: (N_("Competitive consultation"), "竞争性磋商"),
    Method.single_source: (N_("Single source"), "单一来源"),
}


class EvaluationMethod(StrEnum):
    comprehensive = "comprehensive"
    lowest_price = "lowest_price"


EVALUATION_LABELS: dict[str, tuple[str, str]] = {
    EvaluationMethod.comprehensive: (N_("Comprehensive scoring"), "综合评分法"),
    EvaluationMethod.lowest_price: (N_("Lowest evaluated price"), "最低评标价法"),
}


class Status(StrEnum):
    draft = "draft"
    published = "published"
    opened = "opened"
    evaluated = "evaluated"
    awarded = "awarded"
    failed = "failed"
    cancelled = "cancelled"


STATUS_LABELS: dict[str, tuple[str, str]] = {
    Status.draft: (N_("Draft"), "草稿"),
    Status.published: (N_("Published"), "已发布"),
    Status.opened: (N_("Opened"), "已开标"),
    Status.evaluated: (N_("Evaluated"), "评标完成"),
    Status.awarded: (N_("Awarded"), "已定标"),
    Status.failed: (N_("Failed"), "废标"),
    Status.cancelled: (N_("Cancelled"), "已取消"),
}

# Which actions each status allows (every transition is explicit, §3).
ACTIONS: dict[Status, tuple[str, ...]] = {
    Status.draft: ("edit", "invite", "publish", "cancel"),
    Status.published: ("change_deadline", "open", "cancel"),
    Status.opened: ("review", "assign_panel", "close_evaluation", "fail", "cancel"),
    Status.evaluated: ("award", "fail", "cancel"),
    Status.awarded: (),
    Status.failed: (),
    Status.cancelled: (),
}


def allows(status: Status, action: str) -> bool:
    return action in ACTIONS[status]


def min_bidders(method: Method) -> int:
    """§3: 3 bidders, single source 1; competitive consultation for services may go on with 2
    (财库〔2014〕214号; every tender here buys services)."""
    if method is Method.single_source:
        return 1
    return 2 if method is Method.consultation else 3


# --- criteria --------------------------------------------------------------------------------


class Source(StrEnum):
    """Who fills a criterion's score: the panel, or (§3a) the hospital's own records."""

    panel = "panel"
    past_performance = "past_performance"


SOURCE_LABELS: dict[str, str] = {
    Source.panel: N_("Scored by the panel"),
    Source.past_performance: N_("Past performance (last 12 approved months)"),
}


@dataclass(frozen=True)
class Criterion:
    key: str
    name: str
    weight: Decimal
    source: str = Source.panel.value
    # Past performance: the score of a bidder without any approved month (§3a), e.g. 60.
    no_history_score: Decimal | None = None

    @property
    def is_price(self) -> bool:
        return self.key == PRICE_KEY

    @property
    def is_past_performance(self) -> bool:
        return self.source == Source.past_performance

    @property
    def panel_scored(self) -> bool:
        """Scored by the evaluators: neither price (a formula) nor past performance (records)."""
        return not self.is_price and not self.is_past_performance


def price_weight_minimum(goods: bool = False) -> Decimal:
    """§3: price weighs at least 10% for services, 30% for goods."""
    return Decimal(30 if goods else 10)


def price_weight_maximum(method: Method | None) -> Decimal:
    """§3a: competitive consultation weighs price at most 30% (services); others up to 100."""
    return Decimal(30) if method is Method.consultation else HUNDRED


def criteria_errors(
    criteria: Sequence[Criterion],
    evaluation: EvaluationMethod,
    errors: Collector,
    method: Method | None = None,
) -> None:
    if method is Method.negotiation and evaluation is not EvaluationMethod.lowest_price:
        # §3a: competitive negotiation awards the lowest price among compliant bids.
        errors.add(
            "evaluation_method",
            "negotiation_lowest_price",
            _(
                "competitive negotiation awards the lowest compliant price: "
                "choose the lowest evaluated price method"
            ),
        )
    if evaluation is EvaluationMethod.lowest_price:
        # Ranked by price alone; other criteria would be scored for nothing.
        if any(not c.is_price for c in criteria):
            errors.add(
                "criteria",
                "lowest_price_only",
                _("the lowest-price method ranks by price alone"),
            )
        return
    if not criteria:
        errors.add("criteria", "required", _("comprehensive scoring needs criteria with weights"))
        return
    keys = [c.key for c in criteria]
    for i, c in enumerate(criteria):
        if not c.key or len(c.key) > 40 or not c.key.replace("_", "").isalnum():
            errors.add(f"criteria[{i}].key", "key", _("1–40 letters, digits and _"))
        if not c.name.strip() or len(c.name.strip()) > 100:
            errors.add(f"criteria[{i}].name", "required", _("give the criterion a name (≤ 100)"))
        if not c.weight.is_finite() or c.weight <= 0 or c.weight > HUNDRED:
            errors.add(f"criteria[{i}].weight", "range", _("between 0 (excluded) and 100"))
    if len(set(keys)) != len(keys):
        errors.add("criteria", "duplicate_key", _("each criterion needs its own key"))
    if not all(c.weight.is_finite() for c in criteria):
        return
    total = sum((c.weight for c in criteria), Decimal(0))
    if total != HUNDRED:
        errors.add(
            "criteria",
            "weights_sum",
            _("weights must sum to 100 (they sum to %(total)s)", total=total),
        )
    price = [c for c in criteria if c.is_price]
    if len(price) != 1:
        errors.add(
            "criteria",
            "price_criterion",
            _("exactly one criterion must be %(key)s", key=repr(PRICE_KEY)),
        )
    elif price[0].weight < price_weight_minimum():
        errors.add(
            "criteria",
            "price_weight",
            _(
                "price must weigh at least %(minimum)s%% for services (it weighs %(weight)s%%)",
                minimum=price_weight_minimum(),
                weight=price[0].weight,
            ),
        )
    elif price[0].weight > price_weight_maximum(method):
        errors.add(
            "criteria",
            "price_weight",
            _(
                "competitive consultation weighs price from %(minimum)s%% to %(maximum)s%% "
                "(it weighs %(weight)s%%)",
                minimum=price_weight_minimum(),
                maximum=price_weight_maximum(method),
                weight=price[0].weight,
            ),
        )
    if len(criteria) < 2:
        errors.add("criteria", "non_price", _("add at least one non-price criterion"))
    for i, c in enumerate(criteria):
        if c.source not in SOURCE_LABELS:
            errors.add(
                f"criteria[{i}].source",
                "one_of",
                _("one of %(choices)s", choices=", ".join(SOURCE_LABELS)),
            )
        elif c.is_past_performance:
            if c.is_price:
                errors.add(f"criteria[{i}].source", "price", _("price is scored by its formula"))
            if c.no_history_score is None or not is_score(c.no_history_score):
                errors.add(
                    f"criteria[{i}].no_history_score",
                    "range",
                    _("the score of a bidder without history: 0 to 100, at most 2 decimals"),
                )


def deadline_errors(deadline: datetime | None, now: datetime, errors: Collector) -> None:
    if deadline is None:
        errors.add("bid_deadline", "required", _("is required"))
    elif deadline <= now:
        errors.add("bid_deadline", "future", _("must be in the future"))


def min_bid_days(method: Method, open_days: int, consultation_days: int, other_days: int) -> int:
    """§3a: the shortest bid period of a method: calendar days for open, invited and
    consultation, working days for negotiation and single source (see counts_working_days)."""
    if method in (Method.open, Method.invited):
        return open_days
    if method is Method.consultation:
        return consultation_days
    return other_days


def counts_working_days(method: Method) -> bool:
    """§3a: negotiation and single source count their bid period in working days."""
    return method in (Method.negotiation, Method.single_source)


def earliest_deadline(
    published_at: datetime, days: int, working: bool, calendar: Calendar, zone: ZoneInfo
) -> datetime:
    """The earliest bid deadline a bid period of `days` allows: `days` × 24 hours after
    publication, or in working days the same local time on the `days`-th working day after the
    day of publication."""
    if not working:
        return published_at + timedelta(days=days)
    local = published_at.astimezone(zone)
    day = add_working_days(calendar, local.date(), days)
    return datetime.combine(day, local.time(), tzinfo=zone).astimezone(UTC)


def bid_period_errors(
    published_at: datetime,
    deadline: datetime,
    days: int,
    working: bool,
    calendar: Calendar,
    zone: ZoneInfo,
    errors: Collector,
) -> None:
    """§3a: from publication to the bid deadline at least the method's minimum period."""
    earliest = earliest_deadline(published_at, days, working, calendar, zone)
    if deadline < earliest:
        message = (
            _("at least %(n)s working days after publication (§3a): not before %(earliest)s")
            if working
            else _("at least %(n)s days after publication (§3a): not before %(earliest)s")
        )
        errors.add(
            "bid_deadline",
            "bid_period",
            message % {"n": days, "earliest": f"{earliest.astimezone(zone):%Y-%m-%d %H:%M}"},
        )


def price_lines_errors(
    total: Decimal | None, lines: Sequence[tuple[str, Decimal]], errors: Collector
) -> None:
    if total is None:
        errors.add("price", "required", _("give the total price"))
        return
    if not is_amount(total):
        errors.add(
            "price",
            "cents",
            _("an amount up to %(most)s with at most 2 decimals", most=MAX_AMOUNT),
        )
        return
    if total <= 0:
        errors.add("price", "positive", _("must be more than 0"))
    amounts_ok = True
    for i, (item, amount) in enumerate(lines):
        if not item.strip():
            errors.add(f"price_lines[{i}].item", "required", _("name the item"))
        if not is_amount(amount):
            amounts_ok = False
            errors.add(f"price_lines[{i}].amount", "cents", _("an amount with at most 2 decimals"))
        elif amount < 0:
            errors.add(f"price_lines[{i}].amount", "not_negative", _("cannot be negative"))
    if lines and amounts_ok and sum((a for _, a in lines), Decimal(0)) != total:
        errors.add(
            "price_lines",
            "sum",
            _("the lines must add up to the total price %(total)s", total=total),
        )


# --- validity at opening --------------------------------------------------------------------


@dataclass(frozen=True)
class BidFacts:
    """What validity depends on, as it stood at the bid deadline."""

    price: Decimal
    vendor_status: str
    qualifications: Mapping[str, Sequence[tuple[date, date]]]  # kind → (issued, expires)


def invalid_reasons(
    facts: BidFacts, ceiling: Decimal, required: Iterable[str], deadline_day: date
) -> list[str]:
    """Why a bid is invalid at opening (§3), as recorded sentences (vendorgov.recorded);
    empty when valid."""
    reasons = []
    if facts.vendor_status != "active":
        reasons.append(
            sentence(
                N_("the vendor is %(status_label)s at the bid deadline"),
                status_label=GLOSSARY_STATUSES.get(facts.vendor_status, facts.vendor_status),
            )
        )
    reasons += [
        sentence(
            N_("no valid %(kind_label)s qualification at the bid deadline"),
            kind_label=QUALIFICATION_KINDS.get(kind, (kind,))[0],
        )
        for kind in missing_qualifications(facts.qualifications, required, deadline_day)
    ]
    if facts.price > ceiling:
        reasons.append(
            sentence(
                N_("the price %(price)s exceeds the budget ceiling %(ceiling)s"),
                price=f"¥{facts.price:,.2f}",
                ceiling=f"¥{ceiling:,.2f}",
            )
        )
    return reasons


def missing_qualifications(
    qualifications: Mapping[str, Sequence[tuple[date, date]]], required: Iterable[str], day: date
) -> list[str]:
    """The required qualification kinds without a period (issued, expires) covering `day`."""
    return [
        kind
        for kind in required
        if not any(issued <= day <= expires for issued, expires in qualifications.get(kind, ()))
    ]


def postponed_deadline(deadline: datetime, published_at: datetime, margin_days: int) -> datetime:
    """§3a: a clarification or document change published at `published_at` fewer than
    `margin_days` before the deadline moves the deadline to restore that margin; otherwise the
    deadline stays. Never earlier than it was."""
    return max(deadline, published_at + timedelta(days=margin_days))


# §3a: an invited tender invites at least this many qualified vendors of its category.
MIN_INVITED = 3


def abnormally_low(prices: Mapping[int, Decimal], percent: Decimal = Decimal(20)) -> set[int]:
    """Bids priced more than `percent` below the mean of the other valid bids (§3)."""
    flagged = set()
    if len(prices) < 2:
        return flagged
    total = sum(prices.values(), Decimal(0))
    factor = (HUNDRED - percent) / HUNDRED
    for bid, price in prices.items():
        mean_others = (total - price) / (len(prices) - 1)
        if price < mean_others * factor:
            flagged.add(bid)
    return flagged
