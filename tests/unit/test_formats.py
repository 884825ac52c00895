"""Amounts and dates as people read them: ¥ amounts, 万元, capitals, 2026年11月30日."""

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vendorgov.formats import capitals, cn_date, wan, yuan

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (Decimal("1234567.891"), "¥1,234,567.89"),
        ("0.005", "¥0.01"),  # half-up to the cent
        (Decimal("-12.5"), "-¥12.50"),
        (0, "¥0.00"),
        (None, ""),
    ],
)
def test_yuan(amount, text):
    assert yuan(amount) == text


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (Decimal("1234567.89"), "123.456789万元"),
        (Decimal("1200000"), "120万元"),
        (Decimal("123456789012.34"), "12,345,678.901234万元"),
        ("", ""),
    ],
)
def test_wan(amount, text):
    assert wan(amount) == text


def test_capitals_filter_writes_the_statement_net():
    assert capitals(Decimal("123456.78")) == "人民币壹拾贰万叁仟肆佰伍拾陆元柒角捌分"
    assert capitals(None) == ""


def test_cn_date_prints_documents_dates_in_the_hospital_zone():
    assert cn_date(date(2026, 11, 30), SHANGHAI) == "2026年11月30日"
    # 20:30 UTC on 30 November is already 1 December in Shanghai.
    assert cn_date(datetime(2026, 11, 30, 20, 30, tzinfo=UTC), SHANGHAI) == "2026年12月1日"
    assert cn_date("2026-11-30T01:00:00Z", SHANGHAI) == "2026年11月30日"
    assert cn_date(None, SHANGHAI) == ""


@given(st.decimals(min_value=-(10**11), max_value=10**11, places=2, allow_nan=False))
def test_yuan_and_wan_read_back_as_the_exact_amount(amount):
    shown = yuan(amount)
    assert Decimal(shown.replace("¥", "").replace(",", "")) == amount
    assert Decimal(wan(amount).removesuffix("万元").replace(",", "")) * 10000 == amount
