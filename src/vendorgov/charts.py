"""Small server-side SVG charts, shared by pages and PDFs (no JavaScript, no CDN)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

PALETTE = ("#0f6e7a", "#c0562b", "#5b6abf", "#7a8b0f", "#a23b72", "#3b8ea5")


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[Decimal | float | None]  # None: no data that period


def _opening(width: int, height: int, title: str, left: int) -> list[str]:
    """The <svg> element (scaled to its container, labelled for screen readers) and title."""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}" class="chart" '
        f'font-family="sans-serif" font-size="11">'
    ]
    if title:
        parts.append(f'<text x="{left}" y="15" font-weight="bold">{escape(title)}</text>')
    return parts


def line_chart(
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    y_max: float = 100,
    y_min: float = 0,
    title: str = "",
    width: int = 640,
    height: int = 240,
    target: float | None = None,
) -> str:
    """A line chart with one point per category (e.g. months); gaps where a value is None."""
    left, right, top, bottom = 40, 12, 24 if title else 10, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    span = (y_max - y_min) or 1

    def x(i: int) -> float:
        return left + (plot_w * (i + 0.5) / max(len(categories), 1))

    def y(v: float) -> float:
        return top + plot_h * (1 - (float(v) - y_min) / span)

    parts = _opening(width, height, title, left)
    for step in range(5):
        value = y_min + span * step / 4
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(value):.1f}" '
            f'y2="{y(value):.1f}" stroke="#d5dde2"/>'
            f'<text x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end" '
            f'fill="#5f6b73">{value:g}</text>'
        )
    if target is not None:
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(target):.1f}" '
            f'y2="{y(target):.1f}" stroke="#8a5a00" stroke-dasharray="4 3"/>'
        )
    for i, label in enumerate(categories):
        parts.append(
            f'<text x="{x(i):.1f}" y="{height - bottom + 16}" text-anchor="middle" '
            f'fill="#5f6b73">{escape(label)}</text>'
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
        legend_x = left + index * 150
        parts.append(
            f'<rect x="{legend_x}" y="{height - 16}" width="10" height="10" '
            f'fill="{colour}"/><text x="{legend_x + 14}" y="{height - 7}">'
            f"{escape(s.label[:22])}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def pareto_chart(
    counts: Sequence[tuple[str, int]], *, title: str = "", width: int = 640, height: int = 280
) -> str:
    """Bars of counts, largest first, with the cumulative share as a line (right axis, %):
    the few categories that make most of the findings stand out."""
    ordered = sorted(counts, key=lambda c: (-c[1], c[0]))
    total = sum(n for _, n in ordered)
    left, right, top, bottom = 40, 40, 24 if title else 10, 70
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max((n for _, n in ordered), default=0) or 1
    band = plot_w / max(len(ordered), 1)
    parts = _opening(width, height, title, left)
    if not total:
        parts.append(f'<text x="{left}" y="{top + 30}" fill="#5f6b73">No findings.</text></svg>')
        return "".join(parts)
    parts.append(
        f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" '
        f'stroke="#5f6b73"/><text x="{width - right + 4}" y="{top + 4}" fill="#5f6b73">100%</text>'
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" fill="#5f6b73">{peak}</text>'
    )
    cumulative, points = 0, []
    for i, (label, n) in enumerate(ordered):
        bar_h = plot_h * n / peak
        bx = left + i * band + band * 0.15
        parts.append(
            f'<rect x="{bx:.1f}" y="{top + plot_h - bar_h:.1f}" width="{band * 0.7:.1f}" '
            f'height="{bar_h:.1f}" fill="{PALETTE[0]}"><title>{escape(label)}: {n}</title></rect>'
            f'<text x="{bx + band * 0.35:.1f}" y="{top + plot_h - bar_h - 3:.1f}" '
            f'text-anchor="middle">{n}</text>'
            f'<text x="{left + (i + 0.5) * band:.1f}" y="{top + plot_h + 14}" '
            f'text-anchor="middle" fill="#5f6b73">{escape(label[:10])}</text>'
        )
        cumulative += n
        points.append((left + (i + 0.5) * band, top + plot_h * (1 - cumulative / total)))
    path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
    parts.append(f'<polyline points="{path}" fill="none" stroke="{PALETTE[1]}" stroke-width="2"/>')
    parts += [
        f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{PALETTE[1]}"/>' for px, py in points
    ]
    parts.append("</svg>")
    return "".join(parts)
