"""Reads: when people are away (their time off) and whose public holidays they keep.

Beside oncall/selectors.py (already long) rather than in it; the same kind of module: model
objects and plain values out, nothing written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet

from oncall import calendars
from oncall.models import Person, Schedule, TimeOff


def person_time_off_between(*, person: Person, since: datetime, until: datetime) -> QuerySet:
    """Return `person`'s time off reaching into [since, until), by start."""
    return TimeOff.objects.filter(person=person, end__gt=since, start__lt=until).order_by(
        "start", "pk"
    )


def schedule_participants(*, schedule: Schedule) -> QuerySet[Person]:
    """Return the people who take turns in any of `schedule`'s layers."""
    return Person.objects.filter(layer_memberships__layer__schedule=schedule).distinct()


def schedule_time_off_between(*, schedule: Schedule, since: datetime, until: datetime) -> QuerySet:
    """Return the time off reaching into [since, until) of the people who take turns in
    `schedule` or cover it by override there, by start, each with its person."""
    participants = schedule_participants(schedule=schedule).values("pk")
    covering = schedule.overrides.filter(end__gt=since, start__lt=until).values("person_id")
    return (
        TimeOff.objects.filter(end__gt=since, start__lt=until)
        .filter(Q(person__in=participants) | Q(person__in=covering))
        .select_related("person")
        .order_by("start", "person__display_name", "pk")
    )


def people_time_off_between(
    *, person_ids, since: datetime, until: datetime
) -> dict[int, list[tuple[datetime, datetime]]]:
    """Return {person id: [(start, end), ...]} of the time off of `person_ids` reaching into
    [since, until), unclipped, by start (one query; the rota generator's `unavailable`)."""
    found: dict[int, list[tuple[datetime, datetime]]] = {pk: [] for pk in person_ids}
    rows = TimeOff.objects.filter(
        person_id__in=list(found), end__gt=since, start__lt=until
    ).order_by("start", "pk")
    for person_id, start, end in rows.values_list("person_id", "start", "end"):
        found[person_id].append((start, end))
    return found


@dataclass(frozen=True)
class HolidayCalendar:
    """Whose public holidays a person keeps: `from_time_zone` when they chose none and the
    country of their time zone applies ("" when the zone has none, such as UTC)."""

    country: str
    subdivision: str
    from_time_zone: bool

    def as_dict(self) -> dict:
        return {
            "country": self.country,
            "subdivision": self.subdivision,
            "from_time_zone": self.from_time_zone,
        }


def person_holiday_calendar(*, person: Person) -> HolidayCalendar:
    """Return the holiday calendar that applies to `person` (theirs, else their zone's)."""
    country, subdivision = calendars.calendar_for(
        country=person.holiday_country,
        subdivision=person.holiday_subdivision,
        time_zone=person.time_zone,
    )
    return HolidayCalendar(country, subdivision, from_time_zone=not person.holiday_country)


def person_holidays_between(*, person: Person, since: date, until: date) -> dict[date, str]:
    """Return the public holidays `person` keeps in [since, until], as date -> name."""
    calendar = person_holiday_calendar(person=person)
    return calendars.holiday_dates(calendar.country, calendar.subdivision, since, until)


def person_holidays_upcoming(*, person: Person, now: datetime, days: int = 90) -> dict[date, str]:
    """Return the public holidays `person` keeps from today (their date) for `days` days."""
    today = now.astimezone(ZoneInfo(person.time_zone)).date()
    return person_holidays_between(person=person, since=today, until=today + timedelta(days))
