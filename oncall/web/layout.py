"""Lay out a schedule's page: the window a view shows (a day, a week from Monday, a month) in the
viewer's zone, and each row's shifts as blocks along it (presentation only).

Pure: it takes what the selectors read and does no database work of its own. Local midnights
are built with zoneinfo, so a day of 23 or 25 hours is drawn as long as it really is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from oncall.selectors import Shift
from oncall.timeline import Colour, Day, day_columns, person_colour

VIEWS = ("day", "week", "month")
DEFAULT_VIEW = "week"
# A block at least this share of the row wide prints the person's name in it.
LABEL_MIN_WIDTH = 7.0
# The datetime-local inputs' format: the viewer's wall clock, to the minute.
LOCAL_INPUT = "%Y-%m-%dT%H:%M"


@dataclass(frozen=True)
class Window:
    """What one view shows: [start, end) from local midnight to local midnight."""

    view: str
    day: date  # the day asked for; the window contains it
    start: datetime
    end: datetime
    previous: date
    following: date
    label: str


@dataclass(frozen=True)
class Block:
    """One shift on a row: where it is drawn (clipped to the window) and what it says."""

    shift: Shift  # its whole extent, also where it runs past the window
    left: float  # percent of the row's width
    width: float
    colour: Colour | None  # None: a gap
    title: str

    @property
    def is_gap(self) -> bool:
        return self.shift.person is None

    @property
    def labelled(self) -> bool:
        return self.width >= LABEL_MIN_WIDTH

    @property
    def style(self) -> str:
        """Return the block's inline style: its person's colour, where it starts, how wide."""
        colour = f"{self.colour.style}; " if self.colour else ""
        return f"{colour}left: {self.left:.4f}%; width: {self.width:.4f}%"


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone)


def _month_start(day: date, months: int = 0) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def window_of(*, view: str, day: date, zone: ZoneInfo) -> Window:
    """Return the window of `view` ("day", "week" from Monday, "month") that contains `day`."""
    if view == "day":
        first, last = day, day + timedelta(days=1)
        previous, following = day - timedelta(days=1), day + timedelta(days=1)
        label = f"{day:%A} {day.day} {day:%B %Y}"
    elif view == "month":
        first, last = _month_start(day), _month_start(day, 1)
        previous, following = _month_start(day, -1), last
        label = f"{day:%B %Y}"
    else:
        first = day - timedelta(days=day.weekday())
        last = first + timedelta(days=7)
        previous, following = day - timedelta(days=7), day + timedelta(days=7)
        end_day = last - timedelta(days=1)
        label = f"{first.day} {first:%b} – {end_day.day} {end_day:%b %Y}"
    return Window(
        view=view,
        day=day,
        start=_midnight(first, zone),
        end=_midnight(last, zone),
        previous=previous,
        following=following,
        label=label,
    )


def offset(at: datetime) -> str:
    """Return the UTC offset of an aware local time as "UTC+01:00"."""
    minutes = round(at.utcoffset().total_seconds() / 60)
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


def when(at: datetime, zone: ZoneInfo) -> str:
    """Return an instant as read in `zone`: "Mon 7 Dec 09:00"."""
    local = at.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %H:%M}"


def span(shift: Shift, zone: ZoneInfo, *, named: bool = True) -> str:
    """Return a shift's start and end in `zone` ("Mon 7 Dec 09:00 – 17:00"; the end's day only
    when it differs), then the zone (unless not `named`) and its UTC offset at the start, and
    at the end too when a clock change falls between them."""
    start, end = shift.start.astimezone(zone), shift.end.astimezone(zone)
    until = f"{end:%H:%M}" if end.date() == start.date() else when(end, zone)
    offsets = (
        offset(start)
        if start.utcoffset() == end.utcoffset()
        else (f"{offset(start)} then {offset(end)}")
    )
    return f"{when(start, zone)} – {until}{f' {zone.key}' if named else ''} ({offsets})"


def shift_title(shift: Shift, zone: ZoneInfo) -> str:
    """Return what a block says on hover or tap: who, when for the viewer, when for them."""
    if shift.person is None:
        return f"Nobody on call: {span(shift, zone)}"
    own = ZoneInfo(shift.person.time_zone)
    text = f"{shift.person.display_name}: {span(shift, zone)}"
    if own.key != zone.key:
        text += f"; their time {span(shift, own)}"
    return text


def blocks(shifts: list[Shift], window: Window, zone: ZoneInfo) -> list[Block]:
    """Return the blocks of `shifts` that reach into the window, clipped to it."""
    start, end = window.start.astimezone(UTC), window.end.astimezone(UTC)
    length = (end - start).total_seconds()

    def percent(at: datetime) -> float:
        return 100 * (min(max(at, start), end) - start).total_seconds() / length

    return [
        Block(
            shift=shift,
            left=percent(shift.start),
            width=percent(shift.end) - percent(shift.start),
            colour=person_colour(shift.person),
            title=shift_title(shift, zone),
        )
        for shift in shifts
        if shift.end > start and shift.start < end
    ]


@dataclass(frozen=True)
class Column:
    """A local day of the window, drawn behind every row."""

    day: Day
    style: str


def days(window: Window, zone: ZoneInfo) -> list[Column]:
    """Return the window's local days as columns, each with its inline style."""
    return [
        Column(day, f"left: {day.left:.4f}%; width: {day.width:.4f}%")
        for day in day_columns(window.start, window.end, zone)
    ]


def local_input(at: datetime, zone: ZoneInfo) -> str:
    """Return an instant as a datetime-local input's value in `zone`."""
    return at.astimezone(zone).strftime(LOCAL_INPUT)


def now_at(window: Window, now: datetime) -> float | None:
    """Return where `now` falls along the window, in percent, or None outside it."""
    if not window.start <= now < window.end:
        return None
    length = (window.end - window.start.astimezone(UTC)).total_seconds()
    return 100 * (now - window.start.astimezone(UTC)).total_seconds() / length
