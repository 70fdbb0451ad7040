"""The insights page's charts, each an SVG drawing and the table of its numbers (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from incidents.insights.queries import Insights
from incidents.insights.svg import bar_chart
from incidents.models import Page
from incidents.models.choices import Source


@dataclass(frozen=True)
class Chart:
    chart_id: str
    title: str
    svg: str
    headers: tuple[str, ...]
    rows: list[tuple]


def duration_text(seconds: float | None) -> str:
    """Return seconds as a person reads them: "45 s", "3 min 20 s", "2 h 05 min"; "–" if none."""
    if seconds is None:
        return "–"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


def _chart(chart_id, title, headers, rows, *, label_every=1) -> Chart:
    labels = [str(row[0]) for row in rows]
    values = [row[1] for row in rows]
    svg = bar_chart(
        chart_id=chart_id, title=title, labels=labels, values=values, label_every=label_every
    )
    return Chart(chart_id, title, svg, headers, rows)


def charts_of(found: Insights) -> list[Chart]:
    """Return the page's charts: incidents and pages by week, pages by hour of day and by
    interruption, acknowledgements by channel."""
    weeks = [(f"{week:%d %b}", incidents, pages) for week, incidents, pages in found.weeks]
    every = max(1, len(weeks) // 8)
    return [
        _chart(
            "incidents-by-week",
            "Incidents by week",
            ("Week of", "Incidents"),
            [(w, i) for w, i, _ in weeks],
            label_every=every,
        ),
        _chart(
            "pages-by-week",
            "Pages by week",
            ("Week of", "Pages"),
            [(w, p) for w, _, p in weeks],
            label_every=every,
        ),
        _chart(
            "pages-by-hour",
            "Pages by hour of day",
            ("Hour", "Pages"),
            [(f"{hour:02d}", n) for hour, n in enumerate(found.hours)],
            label_every=3,
        ),
        _chart(
            "pages-by-interruption",
            "Pages by interruption",
            ("Interruption", "Pages"),
            [(Page.Interruption(k).label, n) for k, n in found.interruptions.items()],
        ),
        _chart(
            "acknowledgements-by-channel",
            "Acknowledgements by channel",
            ("Channel", "Acknowledgements"),
            [(Source(k).label, n) for k, n in found.acknowledgements.items()],
        ),
    ]
