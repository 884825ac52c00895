"""Small server-side SVG charts, shared by pages and PDFs (no JavaScript, no CDN).

Drawn for a phone: the viewBox is 400 units wide, so on a 390 px screen a 13-unit font stays
about 11 px; on a wide screen the stylesheet caps the chart's size. Text never collides:
widths are estimated (a CJK character is a full em, anything else 0.6 em), long labels are
shortened to their room, x-axis labels thinned to fit, legends and titles wrap, and labels
stacked on one axis are pushed apart."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

from vendorgov.i18n import _

PALETTE = ("#0f6e7a", "#c0562b", "#5b6abf", "#7a8b0f", "#a23b72", "#3b8ea5")
# Band fills and their boundary colour, best band first.
BAND_COLOURS = ("#2e7d4f", "#0f6e7a", "#8a5a00", "#a4262c", "#5f6b73")
WIDTH = 400
FONT = 13
VITAL_SHARE = 0.8  # a Pareto's "vital few": the categories making up the first 80%
LINE = FONT + 4  # one line of text


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[Decimal | float | None]  # None: no data that period


@dataclass(frozen=True)
class Band:
    """A grade band: scores from `low` up to the next band's low (or the top of the axis)."""

    label: str
    low: float


def text_width(text: str, size: float = FONT) -> float:
    """Estimated width of text in a sans-serif font: wide (CJK) characters one em, others
    0.6 em; enough to keep labels apart without a font at hand."""
    return sum(size if unicodedata.east_asian_width(c) in "WF" else size * 0.6 for c in text)


def shorten(text: str, room: float, size: float = FONT) -> str:
    """The text, cut with an ellipsis to fit `room` units."""
    if text_width(text, size) <= room:
        return text
    while text and text_width(text + "…", size) > room:
        text = text[:-1]
    return text + "…"


def wrap(text: str, room: float, size: float = FONT) -> list[str]:
    """Lines of at most `room` units: broken at spaces, or anywhere in CJK text."""
    lines, line = [], ""
    for word in text.replace(" ", " \0").split("\0"):
        pieces = [word] if text_width(word, size) <= room else list(word)
        for piece in pieces:
            if line and text_width(line + piece, size) > room:
                lines.append(line.rstrip())
                line = piece.lstrip()
            else:
                line += piece
    return [*lines, line.rstrip()] if line.strip() else lines


def spread(positions: Sequence[float], gap: float, low: float, high: float) -> list[float]:
    """Positions (e.g. label baselines on an axis) moved apart by at least `gap`, kept
    within low..high, in their order."""
    order = sorted(range(len(positions)), key=lambda i: positions[i])
    placed = [float(positions[i]) for i in order]
    for i in range(1, len(placed)):
        placed[i] = max(placed[i], placed[i - 1] + gap)
    if placed and placed[-1] > high:
        placed[-1] = high
        for i in range(len(placed) - 2, -1, -1):
            placed[i] = min(placed[i], placed[i + 1] - gap)
    placed = [max(p, low + i * gap) for i, p in enumerate(placed)]
    result = [0.0] * len(positions)
    for index, value in zip(order, placed, strict=True):
        result[index] = value
    return result


def _text(x: float, y: float, text: str, **attributes: str) -> str:
    extra = "".join(
        f' {name.rstrip("_").replace("_", "-")}="{value}"' for name, value in attributes.items()
    )
    return f'<text x="{x:.1f}" y="{y:.1f}"{extra}>{escape(text)}</text>'


def _opening(width: int, height: float, title: str, title_lines: list[str]) -> list[str]:
    """The <svg> element (scaled to its container, labelled for screen readers) and title."""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height:.0f}" '
        f'width="100%" role="img" aria-label="{escape(title)}" class="chart" '
        f'font-family="sans-serif" font-size="{FONT}">'
    ]
    parts += [
        _text(8, LINE * (i + 1) - 3, line, font_weight="bold") for i, line in enumerate(title_lines)
    ]
    return parts


def _legend(labels: Sequence[str], colours: Sequence[str], top: float, width: int):
    """Legend items flowing left to right, wrapping: (svg parts, height used)."""
    parts, x, y = [], 8.0, top
    for label, colour in zip(labels, colours, strict=True):
        text = shorten(label, width - 30)
        item = 14 + text_width(text) + 12
        if x > 8 and x + item > width - 8:
            x, y = 8.0, y + LINE
        parts.append(
            f'<rect x="{x:.1f}" y="{y + 3:.1f}" width="10" height="10" fill="{colour}"/>'
            + _text(x + 14, y + LINE - 4, text)
        )
        x += item
    return parts, (y - top + LINE if labels else 0)


def line_chart(
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    y_max: float = 100,
    y_min: float = 0,
    title: str = "",
    width: int = WIDTH,
    height: int = 220,
    target: float | None = None,
    bands: Sequence[Band] = (),
) -> str:
    """A line chart with one point per category (e.g. months); gaps where a value is None.
    Grade bands, if given, are shaded and labelled on the right axis."""
    title_lines = wrap(title, width - 16) if title else []
    ordered = sorted(bands, key=lambda b: -b.low)
    band_labels = [f"{b.label} ≥ {b.low:g}" if b.low > y_min else b.label for b in ordered]
    widest = max((text_width(c) for c in categories), default=0)
    left = 34
    # room on the right for the band labels, and for half the last month's label
    right = max(max((text_width(t) + 14 for t in band_labels), default=0), widest / 2 + 4)
    top = len(title_lines) * LINE + 12
    plot_w, plot_h = width - left - right, height
    span = (y_max - y_min) or 1

    def x(i: int) -> float:
        return left + plot_w * (i + 0.5) / max(len(categories), 1)

    def y(v: float) -> float:
        return top + plot_h * (1 - (min(max(float(v), y_min), y_max) - y_min) / span)

    parts: list[str] = []
    upper = y_max
    for index, (band, label) in enumerate(zip(ordered, band_labels, strict=True)):
        colour = BAND_COLOURS[min(index, len(BAND_COLOURS) - 1)]
        low = max(band.low, y_min)
        parts.append(
            f'<rect class="band" data-band="{escape(band.label)}" x="{left}" y="{y(upper):.1f}" '
            f'width="{plot_w:.1f}" height="{y(low) - y(upper):.1f}" fill="{colour}" '
            f'fill-opacity="0.08"><title>{escape(label)}</title></rect>'
        )
        if low > y_min:
            parts.append(
                f'<line x1="{left}" x2="{left + plot_w:.1f}" y1="{y(low):.1f}" y2="{y(low):.1f}" '
                f'stroke="{colour}" stroke-dasharray="4 3"/>'
            )
        upper = band.low
    baselines = spread(
        [
            (y(max(b.low, y_min)) + y(ordered[i - 1].low if i else y_max)) / 2 + FONT / 2 - 2
            for i, b in enumerate(ordered)
        ],
        LINE,
        top + FONT,
        top + plot_h + FONT / 2,
    )
    for index, (label, baseline) in enumerate(zip(band_labels, baselines, strict=True)):
        colour = BAND_COLOURS[min(index, len(BAND_COLOURS) - 1)]
        parts.append(_text(left + plot_w + 6, baseline, label, fill=colour, class_="band-label"))

    for step in range(5):
        value = y_min + span * step / 4
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w:.1f}" y1="{y(value):.1f}" '
            f'y2="{y(value):.1f}" stroke="#d5dde2"/>'
            + _text(left - 5, y(value) + 4, f"{value:g}", text_anchor="end", fill="#5f6b73")
        )
    if target is not None:
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w:.1f}" y1="{y(target):.1f}" '
            f'y2="{y(target):.1f}" stroke="#8a5a00" stroke-dasharray="4 3"/>'
        )
    # Every label needs its width and a gap: show every k-th, always the last.
    slot = plot_w / max(len(categories), 1)
    every = max(1, math.ceil((widest + 6) / slot))
    last = len(categories) - 1
    shown = [i for i in range(len(categories)) if (last - i) % every == 0]
    for i in shown:
        parts.append(
            _text(x(i), top + plot_h + LINE, categories[i], text_anchor="middle", fill="#5f6b73")
        )
    for index, s in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        runs, run = [], []
        for i, value in enumerate(s.values):
            if value is None:
                if run:
                    runs.append(run)
                run = []
            else:
                run.append((x(i), y(value)))
        if run:
            runs.append(run)
        for points in runs:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>'
            )
            parts += [
                f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{colour}"/>' for px, py in points
            ]
    legend, legend_h = _legend(
        [s.label for s in series],
        [PALETTE[i % len(PALETTE)] for i in range(len(series))],
        top + plot_h + LINE + 6,
        width,
    )
    total = top + plot_h + LINE + 6 + legend_h + 4
    return "".join(_opening(width, total, title, title_lines) + parts + legend + ["</svg>"])


def pareto_chart(
    counts: Sequence[tuple[str, int]],
    *,
    title: str = "",
    width: int = WIDTH,
) -> str:
    """Horizontal bars of counts, largest first, each category's name on its own line above
    its bar (so names never collide, however many) and its cumulative share at the right;
    the few categories that make up the first 80% are drawn dark: they stand out."""
    ordered = sorted(counts, key=lambda c: (-c[1], c[0]))
    total = sum(n for _, n in ordered)
    title_lines = wrap(title, width - 16) if title else []
    top = len(title_lines) * LINE + 12
    if not total:
        parts = _opening(width, top + 30, title, title_lines)
        parts.append(_text(8, top + 16, _("No findings."), fill="#5f6b73"))
        return "".join([*parts, "</svg>"])
    peak = max(n for _, n in ordered)
    numbers = max(text_width(f"{peak} · 100%"), text_width(f"{total}"))
    bar_room = width - 16 - numbers - 8
    row = LINE + 2 + 14 + 8  # name, bar, gap
    parts, cumulative = [], 0
    for i, (label, n) in enumerate(ordered):
        y0 = top + i * row
        vital = cumulative < total * VITAL_SHARE
        cumulative += n
        share = f"{n} · {round(100 * cumulative / total)}%"
        colour = PALETTE[0] if vital else "#9cc3c8"
        parts.append(
            _text(8, y0 + FONT, shorten(label, width - 16), class_="category")
            + f'<rect x="8" y="{y0 + LINE + 2:.1f}" width="{max(bar_room * n / peak, 2):.1f}" '
            f'height="14" fill="{colour}"><title>{escape(label)}: {n}</title></rect>'
            + _text(width - 8, y0 + LINE + 13, share, text_anchor="end", fill="#5f6b73")
        )
    legend, legend_h = _legend(
        [_("the first 80 per cent of findings"), _("the rest")],
        [PALETTE[0], "#9cc3c8"],
        top + len(ordered) * row,
        width,
    )
    height = top + len(ordered) * row + legend_h + 4
    return "".join(_opening(width, height, title, title_lines) + parts + legend + ["</svg>"])
