"""Reads for big events: which events cover a service now (the paging path), who is on call
during an event and where its schedules have gaps, and the readiness checklist's data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q, QuerySet

from incidents.big_events.checklist import (
    RECENT,
    Checklist,
    GapSeen,
    PersonSeen,
    RehearsalSeen,
    checklist_judge,
)
from incidents.models import EscalationTarget, Event, Rehearsal, TestPage
from oncall import selectors as oncall_selectors
from oncall.models import ContactMethod, NotificationRule, Person, Schedule

SOON = RECENT  # the dashboard shows events starting within a week


def events_of_teams(team_ids) -> QuerySet[Event]:
    """Return the events of these teams, with what their pages show."""
    return (
        Event.objects.filter(team_id__in=team_ids)
        .select_related("team")
        .prefetch_related("services", "extra_people", "extra_schedules")
    )


def events_soon(*, team_ids, now: datetime) -> QuerySet[Event]:
    """Return the events under way or starting within the next 7 days, soonest first."""
    return events_of_teams(team_ids).filter(ends_at__gt=now, starts_at__lt=now + SOON)


@dataclass
class EventExtras:
    """What the events covering one service at an instant add to its first step."""

    names: list[str] = field(default_factory=list)
    people: dict[int, Person] = field(default_factory=dict)
    schedule_ids: set[int] = field(default_factory=set)


def event_extras(*, service_ids: set[int], at: datetime) -> dict[int, EventExtras]:
    """Return, for each service covered by an event at `at`, the extra responders of its events
    (people, and schedules whose on-call is asked by the caller): three queries for all."""
    links = list(
        Event.services.through.objects.filter(
            service_id__in=service_ids, event__starts_at__lte=at, event__ends_at__gt=at
        )
        .order_by("event__starts_at", "event_id")
        .values_list("service_id", "event_id", "event__name")
    )
    if not links:
        return {}
    event_ids = {event_id for _, event_id, _ in links}
    people: dict[int, list[Person]] = {}
    for row in Event.extra_people.through.objects.filter(event_id__in=event_ids).select_related(
        "person"
    ):
        people.setdefault(row.event_id, []).append(row.person)
    schedules: dict[int, set[int]] = {}
    for event_id, schedule_id in Event.extra_schedules.through.objects.filter(
        event_id__in=event_ids
    ).values_list("event_id", "schedule_id"):
        schedules.setdefault(event_id, set()).add(schedule_id)
    found: dict[int, EventExtras] = {}
    for service_id, event_id, name in links:
        extras = found.setdefault(service_id, EventExtras())
        extras.names.append(name)
        extras.people.update((p.pk, p) for p in people.get(event_id, ()))
        extras.schedule_ids |= schedules.get(event_id, set())
    return found


def event_ack_timeout(*, service_id: int, at: datetime) -> int | None:
    """Return the shortest acknowledgement timeout (minutes) of the events covering the service
    at `at`, or None when none covers it or none sets one."""
    timeouts = Event.objects.filter(
        services=service_id,
        starts_at__lte=at,
        ends_at__gt=at,
        ack_timeout_minutes__isnull=False,
    ).values_list("ack_timeout_minutes", flat=True)
    return min(timeouts, default=None)


def event_schedules(event: Event) -> QuerySet[Schedule]:
    """Return the schedules the event relies on: every schedule its services' policies target
    (at any step), and its extra schedules."""
    targeted = EscalationTarget.objects.filter(
        kind=EscalationTarget.Kind.SCHEDULE,
        step__policy__services__in=event.services.all(),
    ).values("schedule_id")
    return Schedule.objects.filter(
        Q(pk__in=targeted) | Q(pk__in=event.extra_schedules.values("pk"))
    ).distinct()


@dataclass(frozen=True)
class OnCallDuring:
    people: dict[int, Person]  # everyone on call during the event, extra people included
    gaps: list[GapSeen]


def event_on_call(event: Event) -> OnCallDuring:
    """Return who is on call at some point of [starts_at, ends_at), and each schedule's gaps."""
    shifts = oncall_selectors.schedule_shifts(
        since=event.starts_at, until=event.ends_at, schedules=event_schedules(event)
    )
    people: dict[int, Person] = {p.pk: p for p in event.extra_people.all()}
    gaps = []
    for schedule, pieces in shifts.items():
        for piece in pieces:
            if piece.person is None:
                gaps.append(GapSeen(schedule.name, piece.start, piece.end))
            else:
                people.setdefault(piece.person.pk, piece.person)
    return OnCallDuring(people=people, gaps=gaps)


def verified_methods(person_ids) -> dict[int, tuple[str, ...]]:
    """Return, for each person, the kinds of their verified contact methods that a
    high-urgency notification rule uses ("SMS", "Voice call"…), in a stable order."""
    labels = dict(ContactMethod.Kind.choices)
    found: dict[int, list[str]] = {}
    for person_id, kind in (
        NotificationRule.objects.filter(
            person_id__in=person_ids,
            urgency=NotificationRule.Urgency.HIGH,
            contact_method__verified_at__isnull=False,
        )
        .order_by("person_id", "contact_method__kind")
        .values_list("person_id", "contact_method__kind")
        .distinct()
    ):
        found.setdefault(person_id, []).append(labels.get(kind, kind))
    return {pk: tuple(kinds) for pk, kinds in found.items()}


def _confirmed(test_page: TestPage) -> bool:
    """Whether the person paged acknowledged the test page themselves (anyone else's
    acknowledgement proves nothing about their phone)."""
    incident = test_page.incident
    return incident.acknowledged_at is not None and (
        incident.acknowledged_by_id == test_page.person_id
    )


def _latest_test_pages(event: Event, person_ids, now: datetime) -> dict[int, TestPage]:
    """Return each person's test page for the event sent in the last 7 days: the latest they
    confirmed, or the latest if they confirmed none."""
    chosen: dict[int, TestPage] = {}
    for test_page in (
        TestPage.objects.filter(
            event=event, person_id__in=person_ids, sent_at__gte=now - RECENT, sent_at__lte=now
        )
        .select_related("incident")
        .order_by("-sent_at", "-id")
    ):
        held = chosen.get(test_page.person_id)
        if held is None or (_confirmed(test_page) and not _confirmed(held)):
            chosen[test_page.person_id] = test_page
    return chosen


def event_checklist(*, event: Event, now: datetime) -> Checklist:
    """Gather what the checklist judges, in a few queries, and judge it."""
    on_call = event_on_call(event)
    ids = list(on_call.people)
    methods = verified_methods(ids)
    tests = _latest_test_pages(event, ids, now)
    people = []
    for pk, person in on_call.people.items():
        test = tests.get(pk)
        people.append(
            PersonSeen(
                person_id=pk,
                name=person.display_name,
                verified_methods=methods.get(pk, ()),
                sent_at=test.sent_at if test else None,
                confirmed_at=test.incident.acknowledged_at if test and _confirmed(test) else None,
                via=test.incident.ack_source if test and _confirmed(test) else "",
            )
        )
    rehearsals = [
        RehearsalSeen(service=name, finished_at=finished, passed=passed)
        for name, finished, passed in Rehearsal.objects.filter(
            service__rehearsal_of__in=event.services.all(),
            finished_at__gte=now - RECENT,
            finished_at__lte=now,
        ).values_list("service__rehearsal_of__name", "finished_at", "passed")
    ]
    return checklist_judge(rehearsals=rehearsals, people=people, gaps=on_call.gaps, now=now)
