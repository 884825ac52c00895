"""The server-side SVG charts at phone width: every grade band drawn and labelled, and no two
pieces of text overlapping or leaving the picture, by the positions the SVG states and the
widths the chart module estimates."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from vendorgov.charts import (
    FONT,
    Band,
    Series,
    line_chart,
    pareto_chart,
    shorten,
    spread,
    text_width,
    wrap,
)

SVG = "{http://www.w3.org/2000/svg}"
BANDS = [Band("A", 95), Band("B", 90), Band("C", 80), Band("D", 0)]
MONTHS = [f"2026-{m:02d}" for m in range(1, 13)]


def boxes(svg: str) -> tuple[float, float, list[tuple[str, float, float, float, float]]]:
    """The viewBox size and every text's box (left, top, right, bottom)."""
    root = ET.fromstring(svg)
    _, _, width, height = (float(v) for v in root.get("viewBox").split())
    found = []
    for text in root.iter(f"{SVG}text"):
        size = float(text.get("font-size", FONT))
        w = text_width(text.text or "", size)
        x, y = float(text.get("x")), float(text.get("y"))
        left = {"middle": x - w / 2, "end": x - w}.get(text.get("text-anchor"), x)
        found.append((text.text, left, y - size, left + w, y + size * 0.25))
    return width, height, found


def assert_readable(svg: str) -> None:
    width, height, texts = boxes(svg)
    for label, left, top, right, bottom in texts:
        assert 0 <= left and right <= width, f"{label!r} leaves the chart: {left:.0f}..{right:.0f}"
        assert 0 <= top and bottom <= height, f"{label!r} leaves the chart: {top:.0f}..{bottom:.0f}"
    for i, a in enumerate(texts):
        for b in texts[i + 1 :]:
            apart = a[3] <= b[1] or b[3] <= a[1] or a[4] <= b[2] or b[4] <= a[2]
            assert apart, f"{a[0]!r} overlaps {b[0]!r}"


def test_score_history_draws_and_labels_every_grade_band():
    svg = line_chart(
        MONTHS,
        [Series("score", [Decimal("96.5"), Decimal("91"), None, Decimal("44.79")] + [85] * 8)],
        title="Assessment score by month, with the contract's grade bands",
        bands=BANDS,
    )
    root = ET.fromstring(svg)
    drawn = [r.get("data-band") for r in root.iter(f"{SVG}rect") if r.get("class") == "band"]
    assert drawn == ["A", "B", "C", "D"]
    labels = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "band-label"]
    assert labels == ["A ≥ 95", "B ≥ 90", "C ≥ 80", "D"]
    # a band's shading spans its scores: A from 95 to 100 is a twentieth of the plot
    heights = {
        r.get("data-band"): float(r.get("height"))
        for r in root.iter(f"{SVG}rect")
        if r.get("class") == "band"
    }
    assert abs(heights["A"] * 16 - heights["D"]) < 0.5
    assert_readable(svg)


def test_line_chart_thins_month_labels_and_wraps_the_legend_on_a_phone():
    svg = line_chart(
        MONTHS * 2,
        [Series(f"SLA-{i} 保洁呼叫响应时间达标率", [50 + i] * 24) for i in range(5)],
        title="SLA component and clause attainment (%)",
    )
    width, _, texts = boxes(svg)
    assert width == 400
    months = [t for t in texts if t[0] in MONTHS]
    assert 3 <= len(months) < 24 and months[-1][0] == "2026-12"  # the last month is kept
    assert_readable(svg)


def test_line_chart_without_bands_or_data():
    assert_readable(line_chart([], [], title="Nothing yet"))
    svg = line_chart(["2026-11"], [Series("score", [None])])
    assert "<polyline" not in svg and 'class="band"' not in svg


def test_pareto_names_every_category_without_collisions_on_a_phone():
    counts = [
        ("卫生间地面积水、异味", 9),
        ("门诊楼3楼卫生间 洗手台无洗手液", 7),
        ("机房整洁、无杂物", 2),
        ("年检合格证在有效期内并张贴", 1),
        ("每15日维保一次并有记录，记录由维保人员与使用科室双方签字确认，每次维保后拍照上传", 1),
    ] + [(f"category {i}", 1) for i in range(10)]
    svg = pareto_chart(counts, title="Findings by category, 2026-10 to 2026-12")
    root = ET.fromstring(svg)
    names = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "category"]
    assert len(names) == len(counts) and names[0] == "卫生间地面积水、异味"
    long = next(n for n in names if n.startswith("每15日"))
    assert long.endswith("…")  # too long for a phone: shortened, not clipped
    bars = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert bars[0].find(f"{SVG}title").text == "卫生间地面积水、异味: 9"
    # dark until 80% of the 30 findings are covered: 9 + 7 + 2 + 1 + 1 + 1 + 1 + 1 + 1 = 24
    assert [b.get("fill") for b in bars].count("#0f6e7a") == 9
    shares = [t.text for t in root.iter(f"{SVG}text") if t.get("text-anchor") == "end"]
    assert shares[0] == "9 · 30%" and shares[-1] == "1 · 100%"
    assert_readable(svg)


def test_pareto_without_findings_says_so():
    svg = pareto_chart([("卫生间", 0)], title="Findings by place")
    assert "No findings." in svg
    assert_readable(svg)


@given(st.text(min_size=1, max_size=60), st.floats(min_value=20, max_value=380))
def test_shorten_and_wrap_keep_to_their_room(text, room):
    assert text_width(shorten(text, room)) <= max(room, text_width("…") + FONT)
    for line in wrap(text, room):
        assert text_width(line) <= max(room, FONT)


@given(st.lists(st.floats(min_value=0, max_value=200), max_size=8))
def test_spread_keeps_order_and_gaps(positions):
    placed = spread(positions, 14, 0, 200)
    ordered = sorted(placed)
    assert all(b - a >= 14 - 1e-9 for a, b in zip(ordered, ordered[1:], strict=False))
    assert sorted(range(len(positions)), key=lambda i: (positions[i], i)) == sorted(
        range(len(positions)), key=lambda i: (placed[i], i)
    ) or len(set(positions)) < len(positions)
