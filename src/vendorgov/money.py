"""Money is Decimal, rounded to the cent half-up (domain rules §7); never float."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def cents(value: Decimal | int | str) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


DIGITS = "零壹贰叁肆伍陆柒捌玖"
SECTION_UNITS = ("", "万", "亿")
LIMIT = Decimal(10) ** 12


def _section(group: int) -> str:
    """0 < group < 10,000 in capitals; one 零 for a run of inner zeros, none at the end."""
    words, zero = "", False
    for place, unit in ((1000, "仟"), (100, "佰"), (10, "拾"), (1, "")):
        digit = group // place % 10
        if digit == 0:
            zero = zero or bool(words)
            continue
        if zero:
            words += "零"
            zero = False
        words += DIGITS[digit] + unit
    return words


def _yuan(whole: int) -> str:
    groups = []
    while whole:
        whole, group = divmod(whole, 10000)
        groups.append(group)
    words, skipped = "", False
    for index in reversed(range(len(groups))):
        group = groups[index]
        if group == 0:
            skipped = skipped or bool(words)
            continue
        # Zeros between two sections (a skipped section, or this one's leading zeros) read 零.
        if words and (skipped or group < 1000):
            words += "零"
        words += _section(group) + SECTION_UNITS[index]
        skipped = False
    return words


def capitals(amount: Decimal | int | str) -> str:
    """The amount in Chinese capitals as cheques and statements write it (会计基础工作规范
    第五十二条): 人民币壹拾贰万叁仟肆佰伍拾陆元柒角捌分; 整 after 元 or 角 when there are no
    分; one 零 for a run of zeros; 零 between 元 and 分 when there are no 角. Rounded to the cent
    first; below 10^12 yuan (a trillion)."""
    value = cents(amount)
    if abs(value) >= LIMIT:
        raise ValueError(f"{value} is too large to write in capitals")
    sign = "负" if value < 0 else ""
    whole, fraction = divmod(int(abs(value) * 100), 100)
    jiao, fen = divmod(fraction, 10)
    words = _yuan(whole) + "元" if whole else ""
    if jiao:
        words += DIGITS[jiao] + "角"
    elif fen and whole:
        words += "零"
    if fen:
        words += DIGITS[fen] + "分"
    elif words:
        words += "整"
    return "人民币" + sign + (words or "零元整")
