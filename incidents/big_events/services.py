"""Writes for big events: create, change and delete an event; send its test pages.

A test page is an incident of kind "test" on one of the event's services, paged to one person
through their own notification rules and the real channels, never escalated. Acknowledging it,
any way an incident is acknowledged, confirms that their phone rings; incident_acknowledge then
resolves it at once, so no acknowledgement timeout brings it back.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from incidents.big_events.selectors import event_on_call, verified_methods
from incidents.models import Event, Incident, Service, TestPage, TimelineEntry
from incidents.models.choices import Severity, Source, Urgency
from incidents.services.pages import pages_create
from incidents.services.service_admin import MAX_ACK_TIMEOUT_MINUTES
from incidents.services.timeline import timeline_add
from oncall.audit import audit_record
from oncall.models import Membership, Person, Schedule, Team
from oncall.models.audit import UPDATE

EVENT_FIELDS = (
    "name",
    "description",
    "starts_at",
    "ends_at",
    "ack_timeout_minutes",
    "services",
    "extra_people",
    "extra_schedules",
)
RELATED = ("services", "extra_people", "extra_schedules")


def _check(event: Event, related: Mapping[str, Iterable]) -> None:
    """Refuse an event that ends before it starts, or names what is not its team's."""
    errors: dict[str, str] = {}
    if not (event.name or "").strip():
        errors["name"] = "An event needs a name."
    if event.starts_at and event.ends_at and event.ends_at <= event.starts_at:
        errors["ends_at"] = "The event must end after it starts."
    timeout = event.ack_timeout_minutes
    if timeout is not None and not 1 <= timeout <= MAX_ACK_TIMEOUT_MINUTES:
        errors["ack_timeout_minutes"] = (
            f"Give a whole number of minutes, 1 to {MAX_ACK_TIMEOUT_MINUTES}, or none."
        )
    team_id = event.team_id
    if any(s.team_id != team_id for s in related.get("services", ())):
        errors["services"] = "Choose services of the event's team."
    if any(s.team_id != team_id for s in related.get("extra_schedules", ())):
        errors["extra_schedules"] = "Choose schedules of the event's team."
    people = [p.pk for p in related.get("extra_people", ())]
    if people:
        members = set(
            Membership.objects.filter(team_id=team_id, person_id__in=people).values_list(
                "person_id", flat=True
            )
        )
        if set(people) - members:
            errors["extra_people"] = "Choose people of the event's team."
    if errors:
        raise ValidationError(errors)


def _related_set(event: Event, related: Mapping[str, Iterable]) -> None:
    """Set the event's services and extra responders; record in the audit log those that
    changed, by id (a many-to-many change sends no save signal for the log to see)."""
    changes = {}
    for name in RELATED:
        if name not in related:
            continue
        manager = getattr(event, name)
        before = sorted(manager.values_list("pk", flat=True))
        manager.set(list(related[name]))
        after = sorted(item.pk for item in related[name])
        if before != after:
            changes[name] = [before, after]
    if changes:
        audit_record(
            action=UPDATE,
            object_type="event",
            object_id=event.pk,
            object_repr=str(event),
            team_id=event.team_id,
            changes=changes,
        )


@transaction.atomic
def event_create(
    *,
    team: Team,
    name: str,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
    description: str = "",
    ack_timeout_minutes: int | None = None,
    services: Iterable[Service] = (),
    extra_people: Iterable[Person] = (),
    extra_schedules: Iterable[Schedule] = (),
    by=None,
) -> Event:
    """Put an event on the team's calendar."""
    event = Event(
        team=team,
        name=(name or "").strip(),
        description=description,
        starts_at=starts_at,
        ends_at=ends_at,
        ack_timeout_minutes=ack_timeout_minutes,
        created_by=by,
        created_at=now,
    )
    related = {
        "services": list(services),
        "extra_people": list(extra_people),
        "extra_schedules": list(extra_schedules),
    }
    _check(event, related)
    event.save()
    _related_set(event, related)
    return event


@transaction.atomic
def event_update(*, event: Event, changes: Mapping[str, object]) -> Event:
    """Change the fields of `event` named in `changes` (any of EVENT_FIELDS); it stays in its
    team."""
    locked = Event.objects.select_for_update().get(pk=event.pk)
    related = {name: list(getattr(locked, name).all()) for name in RELATED}
    for name, value in changes.items():
        if name not in EVENT_FIELDS:
            raise ValidationError({name: "This field cannot be changed."})
        if name in RELATED:
            related[name] = list(value)
        else:
            setattr(locked, name, value.strip() if name == "name" else value)
    _check(locked, related)
    locked.save()
    _related_set(locked, {name: related[name] for name in RELATED if name in changes})
    return locked


@transaction.atomic
def event_delete(*, event: Event) -> None:
    """Take the event off the calendar; its test incidents stay in the record."""
    event.delete()


@dataclass(frozen=True)
class TestPagesSent:
    sent: list[TestPage]
    skipped: list[str]  # people on call with no verified method for high urgency


def _title(event: Event) -> str:
    return f"Test page for {event.name}: acknowledge to confirm your phone rings"[:1024]


@transaction.atomic
def test_pages_send(
    *,
    event: Event,
    now: datetime,
    people: Iterable[Person] | None = None,
    by=None,
    source: str = Source.ENGINE,
) -> TestPagesSent:
    """Page everyone on call during the event (or those of `people` who are) who has a verified
    contact method for high urgency: one test incident each, paged at once through their own
    rules and the real channels, never escalated."""
    service = event.services.order_by("name", "pk").first()
    if service is None:
        raise ValidationError({"services": "The event has no service to send test pages on."})
    on_call = event_on_call(event).people
    if people is not None:
        wanted = {p.pk for p in people}
        on_call = {pk: p for pk, p in on_call.items() if pk in wanted}
    methods = verified_methods(list(on_call))
    sent, skipped = [], []
    sender = f" by {by.get_full_name() or by.get_username()}" if by is not None else ""
    for person in sorted(on_call.values(), key=lambda p: p.display_name):
        if not methods.get(person.pk):
            skipped.append(person.display_name)
            continue
        incident = Incident.objects.create(
            service=service,
            kind=Incident.Kind.TEST,
            dedup_key=f"test-page-{uuid.uuid4().hex}",
            title=_title(event),
            alert_name="Test page",
            severity=Severity.CRITICAL,
            urgency=Urgency.HIGH,
            created_at=now,
            esc_due_at=None,  # never escalates: it is for this one person
            assignee=person,
        )
        timeline_add(
            incident=incident,
            kind=TimelineEntry.Kind.TRIGGERED,
            at=now,
            source=source,
            message=f"Test page for {event.name} to {person.display_name}{sender}.",
            data={"event": event.pk, "person": person.pk},
        )
        pages_create(incident=incident, people=[person], step=0, loop=0, fired_at=now)
        sent.append(
            TestPage.objects.create(
                event=event, person=person, incident=incident, sent_at=now, sent_by=by
            )
        )
    return TestPagesSent(sent=sent, skipped=skipped)
