"""Read what a fair rota proposal needs from the database: the schedule's layers and people,
their time off, public holidays and the load of the last 90 days, as the solver's Problem."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError

from incidents.fatigue.selectors import people_load
from incidents.proposals.options import Options, horizon_of
from oncall import rota
from oncall.calendars import calendar_for, holiday_dates
from oncall.models import Layer, Person, Schedule, TimeOff
from oncall.rota import fair
from oncall.selectors import rota_layer

PAST = timedelta(days=90)


def proposal_problem(*, schedule: Schedule, options: Options, now: datetime) -> fair.Problem:
    """Return the solver's problem for `schedule` over the options' horizon, its baseline the
    plain round-robin of the same layers, and everyone's load over the 90 days before `now`."""
    since, until = horizon_of(options, time_zone=schedule.time_zone, now=now)
    named_layers = schedule_layers(schedule=schedule)
    if not named_layers:
        raise ValidationError({"schedule": [f"{schedule.name} has no layer with people in it."]})
    people = _people(named_layers)
    pasts = people_load(person_ids=[p.pk for p in people], since=now - PAST, until=now)
    away = _time_off(people, since=since, until=until)
    participants = tuple(
        _participant(
            person, since=since, until=until, past=pasts.get(person.pk), away=away[person.pk]
        )
        for person in people
    )
    if options.coverage == "always":
        needs = fair.needs_always(participants, since, until)
    else:
        needs = fair.needs_from_layers(named_layers, since, until)
    return fair.Problem(
        since=since,
        until=until,
        participants=participants,
        needs=needs,
        rules=options.rules,
        baseline=tuple(fair.baseline_shifts([layer for _, layer in named_layers], since, until)),
    )


def schedule_layers(*, schedule: Schedule) -> list[tuple[str, rota.Layer]]:
    """Return the schedule's layers with people, lowest first, as (name, pure layer)."""
    layers = (
        Layer.objects.filter(schedule=schedule)
        .prefetch_related("members", "restrictions")
        .order_by("position", "id")
    )
    named = []
    for layer in layers:
        members = [member.person_id for member in layer.members.all()]
        if members:  # an emptied layer covers nothing, as in the rota
            pure = rota_layer(layer, participants=members, restrictions=layer.restrictions.all())
            named.append((layer.name, pure))
    return named


def _people(named_layers) -> list[Person]:
    ids = list(dict.fromkeys(pk for _, layer in named_layers for pk in layer.participants))
    found = Person.objects.in_bulk(ids)
    return [found[pk] for pk in ids]


def _time_off(people: list[Person], *, since: datetime, until: datetime) -> dict[int, list]:
    away = {person.pk: [] for person in people}
    rows = TimeOff.objects.filter(person__in=people, end__gt=since, start__lt=until)
    for row in rows.order_by("start", "id"):
        away[row.person_id].append((row.start, row.end))
    return away


def _participant(person: Person, *, since, until, past, away) -> fair.Participant:
    country, subdivision = calendar_for(
        country=person.holiday_country,
        subdivision=person.holiday_subdivision,
        time_zone=person.time_zone,
    )
    # Local dates: a day either side of the UTC horizon covers every zone.
    days = holiday_dates(
        country, subdivision, since.date() - timedelta(days=1), until.date() + timedelta(days=1)
    )
    extra = {}
    if past is not None:
        extra = {"past": past.load, "past_pages": past.pages, "past_sleep_pages": past.sleep_pages}
    return fair.Participant(
        key=person.pk,
        label=person.display_name,
        time_zone=person.time_zone,
        unavailable=tuple(away),
        holidays=frozenset(days),
        **extra,
    )
