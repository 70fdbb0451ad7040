"""Lay out who is on call as cards with a horizontal timeline for the web page (presentation only).

Pure: it takes what the selectors read and does no database work of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from oncall.models import Person, Schedule
from oncall.selectors import OnCall, Shift

# Successive ids turn the hue by the golden angle, so people never run out of colours and
# neighbours on a rota rarely look alike; three lightness steps part the few hues that come close,
# each light enough that a name in dark text on it passes WCAG AA (4.5:1) on the darkest hue.
GOLDEN_ANGLE = 137.508
LIGHTNESS_STEPS = (72, 78, 84)
# Below this share of the timeline (a third of a day) a day column carries no label; above it the
# stylesheet drops the weekday, then the date, as the column narrows.
DAY_LABEL_MIN_WIDTH = 1.0
# Above this share of the timeline a bar is wide enough to print the person's name in it.
BAR_LABEL_MIN_WIDTH = 9.0


@dataclass(frozen=True)
class Colour:
    hue: int
    lightness: int

    @property
    def style(self) -> str:
        """Return the CSS custom properties that plantao.css paints bars and swatches with."""
        return f"--hue: {self.hue}; --lightness: {self.lightness}%"


@dataclass(frozen=True)
class Bar:
    shift: Shift
    left: float  # percent of the timeline's width
    width: float
    colour: Colour | None  # stable per person; None for a gap

    @property
    def is_gap(self) -> bool:
        return self.shift.person is None

    @property
    def labelled(self) -> bool:
        return self.width >= BAR_LABEL_MIN_WIDTH


@dataclass(frozen=True)
class Day:
    """One local calendar day of the timeline, clipped to it; the tick is at its left edge."""

    start: datetime  # local midnight, or the timeline's start for the first, partial day
    left: float
    width: float
    weekend: bool
    labelled: bool


@dataclass(frozen=True)
class Swatch:
    person: Person
    colour: Colour


@dataclass(frozen=True)
class Timeline:
    """One schedule's card: who is on call now and next, and its final shifts over the window."""

    schedule: Schedule
    summary: OnCall
    zone_name: str  # the zone every time on the card is shown in
    bars: list[Bar]
    days: list[Day]
    legend: list[Swatch]

    @property
    def until(self) -> datetime | None:
        """When the current person (or the current gap) stops."""
        return self.summary.until

    @property
    def now_colour(self) -> Colour | None:
        return person_colour(self.summary.person)

    @property
    def next_colour(self) -> Colour | None:
        return person_colour(self.summary.next_person)

    @property
    def shifts(self) -> list[Shift]:
        return [bar.shift for bar in self.bars]

    @property
    def gaps(self) -> list[Shift]:
        return [bar.shift for bar in self.bars if bar.is_gap]

    @property
    def first_gap(self) -> Shift | None:
        return next(iter(self.gaps), None)


def person_colour(person: Person | None) -> Colour | None:
    """Return the colour of `person`, the same on every page and every day; None for a gap."""
    if person is None:
        return None
    return Colour(
        hue=round(person.pk * GOLDEN_ANGLE) % 360,
        lightness=LIGHTNESS_STEPS[person.pk % len(LIGHTNESS_STEPS)],
    )


def timeline_build(
    *,
    summaries: list[OnCall],
    shifts: Mapping[Schedule, list[Shift]],
    start: datetime,
    end: datetime,
    time_zone: str | None = None,
) -> list[Timeline]:
    """Return one card per summary, laying out its `shifts` over [start, end).

    Times are shown in `time_zone` (the viewer's), or else in each schedule's own zone.
    """
    return [
        _timeline(
            summary=summary,
            pieces=shifts.get(summary.schedule, []),
            start=start,
            end=end,
            zone_name=time_zone or summary.schedule.time_zone,
        )
        for summary in summaries
    ]


def _timeline(
    *, summary: OnCall, pieces: list[Shift], start: datetime, end: datetime, zone_name: str
) -> Timeline:
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    span = (end - start).total_seconds()

    def percent(at: datetime) -> float:
        return 100 * (at.astimezone(UTC) - start).total_seconds() / span

    bars = [
        Bar(
            shift=piece,
            left=percent(piece.start),
            width=percent(piece.end) - percent(piece.start),
            colour=person_colour(piece.person),
        )
        for piece in pieces
    ]
    legend = {}
    for piece in pieces:
        if piece.person is not None:
            legend.setdefault(piece.person.pk, Swatch(piece.person, person_colour(piece.person)))
    return Timeline(
        schedule=summary.schedule,
        summary=summary,
        zone_name=zone_name,
        bars=bars,
        days=_days(start, end, ZoneInfo(zone_name), percent),
        legend=list(legend.values()),
    )


def day_columns(start: datetime, end: datetime, zone: ZoneInfo) -> list[Day]:
    """Return the local days of `zone` over [start, end) as columns of a timeline."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    length = (end - start).total_seconds()

    def percent(at: datetime) -> float:
        return 100 * (at.astimezone(UTC) - start).total_seconds() / length

    return _days(start, end, zone, percent)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone)


def _days(start: datetime, end: datetime, zone: ZoneInfo, percent) -> list[Day]:
    days = []
    day = start.astimezone(zone).date()
    while _midnight(day, zone) < end:
        following = day + timedelta(days=1)
        since = max(_midnight(day, zone), start)
        left = percent(since)
        width = percent(min(_midnight(following, zone), end)) - left
        days.append(
            Day(
                start=since,
                left=left,
                width=width,
                weekend=day.weekday() >= 5,
                labelled=width >= DAY_LABEL_MIN_WIDTH,
            )
        )
        day = following
    return days
