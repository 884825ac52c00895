"""How amounts and dates read to people (pages, documents, exports), in one place.

Tables keep ISO dates (sortable, unambiguous); printed documents write dates the Chinese way
(2026年11月30日); money is Decimal rounded to the cent (never through float); budgets read in
万元 where officials expect it. Datetimes are shown in the hospital's zone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from vendorgov.money import capitals as money_capitals
from vendorgov.money import cents


def _blank(value: Any) -> bool:
    return value is None or value == ""


def as_local(value: Any, zone: ZoneInfo) -> Any:
    """A datetime (or its ISO text) in the hospital's zone; naive ones are UTC; dates pass."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(zone)
    return value


def cn_date(value: Any, zone: ZoneInfo) -> str:
    """2026年11月30日, as documents print a date (a datetime counts in the hospital's zone)."""
    if _blank(value):
        return ""
    value = as_local(value, zone)
    if isinstance(value, date):  # datetime is a date too
        return f"{value.year}年{value.month}月{value.day}日"
    return str(value)


def yuan(value: Any) -> str:
    """¥1,234,567.89 (a minus before the sign for a negative amount)."""
    if _blank(value):
        return ""
    amount = cents(value)
    return f"-¥{-amount:,}" if amount < 0 else f"¥{amount:,}"


def wan(value: Any) -> str:
    """An amount in 万元 to six decimals at most, trailing zeros dropped (123.4567万元), as
    procurement notices and budgets state it; exact, from the cent amount."""
    if _blank(value):
        return ""
    amount = cents(value) / Decimal(10000)
    text = f"{amount:,.6f}".rstrip("0").rstrip(".")
    return f"{text}万元"


def capitals(value: Any) -> str:
    """人民币壹拾贰万叁仟肆佰伍拾陆元柒角捌分 (money.capitals; blank stays blank)."""
    return "" if _blank(value) else money_capitals(value)
