"""The insights' charts as SVG (pure): bar charts drawn on the server, no script. Each chart is
an image with a title (role="img"); the numbers are in the table the page shows beside it, which
is the data for anyone who cannot see the drawing. Colours come from the page's CSS."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 12, 30


def _ticks(top: int) -> list[int]:
    """Return up to 5 round values from 0 to at least `top` for the vertical axis."""
    if top <= 0:
        return [0, 1]
    step = 1
    while top / step > 4:
        for factor in (2, 2.5, 2):
            step = int(step * factor)
            if top / step <= 4:
                break
    return list(range(0, top + step, step))[:6]


def bar_chart(
    *,
    chart_id: str,
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    label_every: int = 1,
) -> str:
    """Return an SVG bar chart of `values`, one bar per label (every `label_every`th label shown
    under its bar)."""
    ticks = _ticks(int(max(values, default=0) + 0.999))
    ceiling = ticks[-1] or 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(values), 1)
    bar = max(slot * 0.7, 1)
    parts = [
        f'<svg class="chart" id="{escape(chart_id)}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title" viewBox="0 0 {WIDTH} {HEIGHT}" '
        'preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
    ]
    for tick in ticks:
        y = TOP + plot_h - plot_h * tick / ceiling
        parts.append(
            f'<line class="chart__grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" '
            f'y2="{y:.1f}"/><text class="chart__axis" x="{LEFT - 6}" y="{y + 4:.1f}" '
            f'text-anchor="end">{tick}</text>'
        )
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = LEFT + slot * index + (slot - bar) / 2
        height = plot_h * value / ceiling
        parts.append(
            f'<rect class="chart__bar" x="{x:.1f}" y="{TOP + plot_h - height:.1f}" '
            f'width="{bar:.1f}" height="{height:.1f}"/>'
        )
        if index % label_every == 0:
            parts.append(
                f'<text class="chart__axis" x="{x + bar / 2:.1f}" y="{HEIGHT - 10}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
