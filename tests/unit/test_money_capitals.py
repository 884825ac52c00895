"""The net in Chinese capitals (人民币大写), as the statement prints it."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vendorgov.money import DIGITS, capitals


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("123456.78", "人民币壹拾贰万叁仟肆佰伍拾陆元柒角捌分"),
        ("0", "人民币零元整"),
        ("0.00", "人民币零元整"),
        ("0.05", "人民币伍分"),
        ("0.50", "人民币伍角整"),
        ("10", "人民币壹拾元整"),
        ("15.30", "人民币壹拾伍元叁角整"),
        ("10.05", "人民币壹拾元零伍分"),
        ("1005", "人民币壹仟零伍元整"),
        ("1680.32", "人民币壹仟陆佰捌拾元叁角贰分"),
        ("107000.53", "人民币壹拾万柒仟元伍角叁分"),
        ("100000001", "人民币壹亿零壹元整"),
        ("100001000", "人民币壹亿零壹仟元整"),
        ("120000000", "人民币壹亿贰仟万元整"),
        ("300000000.09", "人民币叁亿元零玖分"),
        ("54000", "人民币伍万肆仟元整"),
        ("-6000", "人民币负陆仟元整"),
        ("98765.4321", "人民币玖万捌仟柒佰陆拾伍元肆角叁分"),  # rounded to the cent first
    ],
)
def test_known_amounts(amount, words):
    assert capitals(Decimal(amount)) == words


def test_too_large_is_refused():
    with pytest.raises(ValueError):
        capitals(Decimal(10) ** 12)


UNITS = {"拾": 10, "佰": 100, "仟": 1000}


def _read(words: str) -> Decimal:
    """The inverse, written independently: capitals back to a number."""
    assert words.startswith("人民币")
    words = words[3:]
    sign = -1 if words.startswith("负") else 1
    words = words.removeprefix("负").removesuffix("整")
    yuan_part, _, rest = words.rpartition("元") if "元" in words else ("", "", words)
    total = whole = section = digit = 0
    for ch in yuan_part:
        if ch in DIGITS:
            digit = DIGITS.index(ch)
        elif ch in UNITS:
            section += digit * UNITS[ch]
            digit = 0
        elif ch == "万":
            whole += (section + digit) * 10_000
            section = digit = 0
        elif ch == "亿":
            total = (total + whole + section + digit) * 100_000_000
            whole = section = digit = 0
    total += whole + section + digit
    fraction = Decimal(0)
    digit = 0
    for ch in rest:
        if ch in DIGITS:
            digit = DIGITS.index(ch)
        elif ch == "角":
            fraction += Decimal(digit) / 10
        elif ch == "分":
            fraction += Decimal(digit) / 100
    return sign * (total + fraction)


amounts = st.decimals(
    min_value=Decimal("-999999999999.99"),
    max_value=Decimal("999999999999.99"),
    places=2,
    allow_nan=False,
    allow_infinity=False,
)


@given(amounts)
def test_reads_back_to_the_amount(amount):
    assert _read(capitals(amount)) == amount


@given(amounts)
def test_zeros_and_endings(amount):
    words = capitals(amount)
    assert "零零" not in words
    # 整 after 元 or 角 exactly when there are no 分.
    assert words.endswith("整") == (amount * 100 % 10 == 0)
    if amount:
        # 零 never ends a section, nor stands before a unit.
        for unit in ("元", "万", "亿", "角", "拾", "佰", "仟"):
            assert "零" + unit not in words
    # 壹拾 for the tens, never a bare 拾 at the start.
    assert not words.removeprefix("人民币").removeprefix("负").startswith("拾")
