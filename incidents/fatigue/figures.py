"""How tired a person's on-call period made them: the fatigue figures and score.

No Django here, and no clock. Everything is read over a period [since, until) of instants:

- on-call hours: the union of the person's shifts, clipped to the period, and how many of them
  fell in the person's sleep hours (22:00-08:00), weekend and public holidays, on their own wall
  clock (oncall.load: an hour may be in several classes);
- pages: one page is one notification round, a distinct (incident, step, loop) for the person,
  however many channels (SMS, call, e-mail) it used; its interruption class (sleep, off,
  business) is that of its earliest sent row. Pages sent in the period count;
- incidents: each counts once, in the class of its first page to the person;
- nights woken: the nights (named by their evening's local date, oncall.fatigue.night_of) with at
  least one sleep-hours page, and the longest run of consecutive nights woken.

The fatigue score adds points, each for something that happened at an instant:

    3    per sleep-hours page          1    per off-hours page      0.5  per business-hours page
    5    per night woken               3    per night woken that continues a run (2nd, 3rd, ...)
    0.2  per on-call hour at night     0.1  per on-call weekend hour
    0.1  per on-call public-holiday hour

So a night with two calls costs 3 + 3 + 5 = 11, the same night again the next day 11 + 3 = 14,
and a whole week on call (about 70 night and 48 weekend hours) about 19 before any page. The
weekly breakdown puts each point in the week it happened in: weeks start on Monday 00:00 UTC,
a page and its night in the week of the page (a night woken in the week of its first sleep-hours
page), on-call hours cut at the week boundary. The weeks of a period add up to its score.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from oncall.fatigue import Interruption, interruption_at, night_of
from oncall.load import Load, load_of

CLASSES = tuple(c.value for c in Interruption)
PAGE_POINTS = {Interruption.SLEEP: 3.0, Interruption.OFF: 1.0, Interruption.BUSINESS: 0.5}
NIGHT_WOKEN_POINTS = 5.0
RUN_NIGHT_POINTS = 3.0
NIGHT_HOUR_POINTS = 0.2
WEEKEND_HOUR_POINTS = 0.1
HOLIDAY_HOUR_POINTS = 0.1
# The points by name, as the API and the page's legend show them.
SCORE_POINTS = {
    "sleep_page": PAGE_POINTS[Interruption.SLEEP],
    "off_page": PAGE_POINTS[Interruption.OFF],
    "business_page": PAGE_POINTS[Interruption.BUSINESS],
    "night_woken": NIGHT_WOKEN_POINTS,
    "night_continuing_a_run": RUN_NIGHT_POINTS,
    "night_hour_on_call": NIGHT_HOUR_POINTS,
    "weekend_hour_on_call": WEEKEND_HOUR_POINTS,
    "holiday_hour_on_call": HOLIDAY_HOUR_POINTS,
}


@dataclass(frozen=True, slots=True)
class SentPage:
    """One sent page row: when it went, its interruption class ("" when not recorded)."""

    at: datetime
    interruption: str
    incident: int
    step: int
    loop: int


@dataclass(frozen=True, slots=True)
class Week:
    """A week's share of a person's figures: Monday (UTC), score and nights woken."""

    monday: date
    score: float
    nights_woken: int


@dataclass(frozen=True)
class PersonFatigue:
    load: Load
    pages: dict[str, int]  # by interruption class
    incidents: dict[str, int]  # by interruption class of their first page to the person
    nights_woken: int
    longest_run: int
    score: float
    weeks: list[Week] = field(default_factory=list)

    @property
    def pages_total(self) -> int:
        return sum(self.pages.values())

    @property
    def incidents_total(self) -> int:
        return sum(self.incidents.values())


@dataclass(frozen=True)
class PastLoad:
    """What a person carried: their on-call load, pages, and pages in their sleep hours."""

    load: Load
    pages: int
    sleep_pages: int


def merged(
    intervals: Iterable[tuple[datetime, datetime]], since: datetime, until: datetime
) -> list[tuple[datetime, datetime]]:
    """Return the union of `intervals` clipped to [since, until), sorted, in UTC."""
    clipped = sorted(
        (max(start, since).astimezone(UTC), min(end, until).astimezone(UTC))
        for start, end in intervals
        if start < until and end > since
    )
    union: list[tuple[datetime, datetime]] = []
    for start, end in clipped:
        if start >= end:
            continue
        if union and start <= union[-1][1]:
            union[-1] = (union[-1][0], max(union[-1][1], end))
        else:
            union.append((start, end))
    return union


def rounds(
    pages: Iterable[SentPage], *, time_zone: str, since: datetime, until: datetime
) -> list[SentPage]:
    """Return one page per (incident, step, loop) sent in [since, until): its earliest row,
    in time order, its class read from the instant in `time_zone` when not recorded."""
    first: dict[tuple[int, int, int], SentPage] = {}
    for page in pages:
        if not since <= page.at < until:
            continue
        key = (page.incident, page.step, page.loop)
        kept = first.get(key)
        if kept is None or (page.at, page.interruption) < (kept.at, kept.interruption):
            first[key] = page
    found = []
    for page in sorted(first.values(), key=lambda p: (p.at, p.incident, p.step, p.loop)):
        if page.interruption not in CLASSES:
            _, interruption = interruption_at(page.at, time_zone)
            page = SentPage(page.at, interruption.value, page.incident, page.step, page.loop)
        found.append(page)
    return found


def _night(page: SentPage, time_zone: str) -> date:
    named = night_of(page.at, time_zone)
    if named is not None:
        return named
    # Recorded as sleep in a zone the person has since left: name it by the evening before noon.
    local = page.at.astimezone(ZoneInfo(time_zone))
    return local.date() if local.time() >= time(12) else local.date() - timedelta(days=1)


def monday_of(at: datetime) -> date:
    """Return the Monday (UTC) of the week holding `at`."""
    day = at.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def _week_cuts(since: datetime, until: datetime) -> list[tuple[date, datetime, datetime]]:
    """Return the UTC weeks that [since, until) meets: (Monday, start, end) clipped."""
    weeks = []
    monday = monday_of(since)
    while True:
        start = datetime.combine(monday, time(), UTC)
        if start >= until:
            return weeks
        end = start + timedelta(days=7)
        weeks.append((monday, max(start, since), min(end, until)))
        monday += timedelta(days=7)


def hours_points(load: Load) -> float:
    """Return the points of a load: night, weekend and holiday hours on call."""
    return (
        NIGHT_HOUR_POINTS * load.night
        + WEEKEND_HOUR_POINTS * load.weekend
        + HOLIDAY_HOUR_POINTS * load.holiday
    )


def person_fatigue(
    *,
    time_zone: str,
    holidays: Collection[date],
    intervals: Iterable[tuple[datetime, datetime]],
    pages: Iterable[SentPage],
    since: datetime,
    until: datetime,
) -> PersonFatigue:
    """Return one person's fatigue figures over [since, until), with a week by week score."""
    on_call = merged(intervals, since, until)
    sent = rounds(pages, time_zone=time_zone, since=since, until=until)

    by_class = dict.fromkeys(CLASSES, 0)
    incidents = dict.fromkeys(CLASSES, 0)
    seen_incidents: set[int] = set()
    points: dict[date, float] = {}
    first_sleep_page: dict[date, datetime] = {}
    for page in sent:
        by_class[page.interruption] += 1
        if page.incident not in seen_incidents:
            seen_incidents.add(page.incident)
            incidents[page.interruption] += 1
        monday = monday_of(page.at)
        points[monday] = points.get(monday, 0.0) + PAGE_POINTS[Interruption(page.interruption)]
        if page.interruption == Interruption.SLEEP:
            first_sleep_page.setdefault(_night(page, time_zone), page.at)

    nights_by_week: dict[date, int] = {}
    longest = run = 0
    previous = None
    for night in sorted(first_sleep_page):
        run = run + 1 if previous is not None and night - previous == timedelta(days=1) else 1
        longest = max(longest, run)
        previous = night
        monday = monday_of(first_sleep_page[night])
        nights_by_week[monday] = nights_by_week.get(monday, 0) + 1
        extra = RUN_NIGHT_POINTS if run > 1 else 0.0
        points[monday] = points.get(monday, 0.0) + NIGHT_WOKEN_POINTS + extra

    total = Load()
    weeks = []
    for monday, start, end in _week_cuts(since, until):
        week_load = load_of(merged(on_call, start, end), time_zone=time_zone, holidays=holidays)
        total += week_load
        score = points.get(monday, 0.0) + hours_points(week_load)
        weeks.append(Week(monday, round(score, 1), nights_by_week.get(monday, 0)))

    score = sum(points.values()) + hours_points(total)
    return PersonFatigue(
        load=total,
        pages=by_class,
        incidents=incidents,
        nights_woken=len(first_sleep_page),
        longest_run=longest,
        score=round(score, 1),
        weeks=weeks,
    )


def past_load(
    *,
    time_zone: str,
    holidays: Collection[date],
    intervals: Iterable[tuple[datetime, datetime]],
    pages: Iterable[SentPage],
    since: datetime,
    until: datetime,
) -> PastLoad:
    """Return the load a person carried over [since, until): on-call hours by class, pages
    (notification rounds) and sleep-hours pages, as person_fatigue() counts them."""
    load = load_of(merged(intervals, since, until), time_zone=time_zone, holidays=holidays)
    sent = rounds(pages, time_zone=time_zone, since=since, until=until)
    sleep = sum(1 for page in sent if page.interruption == Interruption.SLEEP)
    return PastLoad(load=load, pages=len(sent), sleep_pages=sleep)


@dataclass(frozen=True)
class TeamFatigue:
    people: list  # of (person, PersonFatigue), in the caller's order
    total: PersonFatigue
    mean: PersonFatigue


def team_totals(figures: list[PersonFatigue]) -> tuple[PersonFatigue, PersonFatigue]:
    """Return the sum of everyone's figures, and the mean per person (zeros for nobody)."""
    count = len(figures) or 1
    load = sum((f.load for f in figures), Load())
    pages = {c: sum(f.pages[c] for f in figures) for c in CLASSES}
    incidents = {c: sum(f.incidents[c] for f in figures) for c in CLASSES}
    nights = sum(f.nights_woken for f in figures)
    run = max((f.longest_run for f in figures), default=0)
    score = sum(f.score for f in figures)
    weeks = _weeks_summed(figures)
    total = PersonFatigue(load, pages, incidents, nights, run, round(score, 1), weeks)
    mean = PersonFatigue(
        load=Load(
            load.hours / count, load.night / count, load.weekend / count, load.holiday / count
        ),
        pages={c: pages[c] / count for c in CLASSES},
        incidents={c: incidents[c] / count for c in CLASSES},
        nights_woken=nights / count,
        longest_run=sum(f.longest_run for f in figures) / count,
        score=round(score / count, 1),
        weeks=[Week(w.monday, round(w.score / count, 1), w.nights_woken / count) for w in weeks],
    )
    return total, mean


def _weeks_summed(figures: list[PersonFatigue]) -> list[Week]:
    summed: dict[date, tuple[float, int]] = {}
    for figure in figures:
        for week in figure.weeks:
            score, nights = summed.get(week.monday, (0.0, 0))
            summed[week.monday] = (score + week.score, nights + week.nights_woken)
    return [Week(monday, round(s, 1), n) for monday, (s, n) in sorted(summed.items())]
