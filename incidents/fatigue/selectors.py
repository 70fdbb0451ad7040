"""Reads: fatigue figures of a team's people, and the load people carried (for the fair rota).

A bounded number of queries whatever the number of people: the schedules with their rotas
(oncall.selectors.schedules_with_rota), the people, and their sent pages, each fetched once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Min, Q

from incidents.fatigue.figures import (
    PastLoad,
    PersonFatigue,
    SentPage,
    TeamFatigue,
    past_load,
    person_fatigue,
    team_totals,
)
from incidents.models import Incident, Page
from oncall import rota
from oncall.calendars import calendar_for, holiday_dates
from oncall.load import Load
from oncall.models import Person, Schedule, Team
from oncall.selectors import schedule_rota, schedules_with_rota


@dataclass(frozen=True)
class _Inputs:
    people: list[Person]
    intervals: dict[int, list[tuple[datetime, datetime]]]
    pages: dict[int, list[SentPage]]
    holidays: dict[int, frozenset[date]]


def _on_call(
    schedules, person_ids: set[int], since: datetime, until: datetime
) -> dict[int, list[tuple[datetime, datetime]]]:
    """Return each person's shifts over [since, until) across `schedules` (overlaps kept)."""
    found: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for schedule in schedules_with_rota(since=since, until=until, schedules=schedules):
        for piece in rota.final_shifts(schedule_rota(schedule), since, until):
            if piece.person in person_ids:
                found[piece.person].append((piece.start, piece.end))
    return found


def _sent_pages(person_ids: set[int], since: datetime, until: datetime):
    """Return each person's sent pages in [since, until): per round, the earliest row of each
    interruption class it holds (a round's SMS and call are one row here, mostly)."""
    found: dict[int, list[SentPage]] = defaultdict(list)
    rows = (
        Page.objects.filter(
            person_id__in=person_ids,
            sent_at__gte=since,
            sent_at__lt=until,
            incident__kind=Incident.Kind.REAL,  # rehearsals and test pages tire nobody
        )
        .values("person_id", "incident_id", "step", "loop", "interruption")
        .annotate(first=Min("sent_at"))
        .order_by()
        .values_list("person_id", "first", "interruption", "incident_id", "step", "loop")
    )
    for person_id, sent_at, interruption, incident, step, loop in rows.iterator(chunk_size=5000):
        found[person_id].append(SentPage(sent_at, interruption, incident, step, loop))
    return found


def _holidays(person: Person, since: datetime, until: datetime) -> frozenset[date]:
    country, subdivision = calendar_for(
        country=person.holiday_country,
        subdivision=person.holiday_subdivision,
        time_zone=person.time_zone,
    )
    # A day either side: the person's local dates may be a day off the UTC ones.
    first, last = since.date() - timedelta(days=1), until.date() + timedelta(days=1)
    return frozenset(holiday_dates(country, subdivision, first, last))


def _inputs(people: list[Person], schedules, since: datetime, until: datetime) -> _Inputs:
    ids = {person.pk for person in people}
    return _Inputs(
        people=people,
        intervals=_on_call(schedules, ids, since, until),
        pages=_sent_pages(ids, since, until),
        holidays={person.pk: _holidays(person, since, until) for person in people},
    )


def team_fatigue(*, team: Team, since: datetime, until: datetime) -> TeamFatigue:
    """Return the fatigue figures of each member of `team` over [since, until), by name, with
    the team's totals and mean per person; on-call time is every team schedule's final shifts."""
    people = list(
        Person.objects.filter(memberships__team=team).order_by("display_name", "pk").distinct()
    )
    found = _inputs(people, Schedule.objects.filter(team=team), since, until)
    figures: list[tuple[Person, PersonFatigue]] = [
        (
            person,
            person_fatigue(
                time_zone=person.time_zone,
                holidays=found.holidays[person.pk],
                intervals=found.intervals.get(person.pk, ()),
                pages=found.pages.get(person.pk, ()),
                since=since,
                until=until,
            ),
        )
        for person in people
    ]
    total, mean = team_totals([figure for _, figure in figures])
    return TeamFatigue(people=figures, total=total, mean=mean)


def people_load(
    *, person_ids: Iterable[int], since: datetime, until: datetime
) -> dict[int, PastLoad]:
    """Return the load each person carried over [since, until): on-call hours (night, weekend,
    holiday) across every schedule they were on, pages (notification rounds) and sleep-hours
    pages. Every id asked is answered (zeros when unknown or idle)."""
    ids = set(person_ids)
    people = list(Person.objects.filter(pk__in=ids))
    schedules = Schedule.objects.filter(
        Q(layers__members__person_id__in=ids)
        | Q(overrides__person_id__in=ids, overrides__end__gt=since, overrides__start__lt=until)
    ).distinct()
    found = _inputs(people, schedules, since, until)
    loads = {pk: PastLoad(load=Load(), pages=0, sleep_pages=0) for pk in ids}
    for person in people:
        loads[person.pk] = past_load(
            time_zone=person.time_zone,
            holidays=found.holidays[person.pk],
            intervals=found.intervals.get(person.pk, ()),
            pages=found.pages.get(person.pk, ()),
            since=since,
            until=until,
        )
    return loads
