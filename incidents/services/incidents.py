"""What people and monitoring can do to an incident. Each action is atomic, and doing it twice
is harmless: only the call that changes the state writes a timeline entry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from incidents import events
from incidents.big_events.selectors import event_ack_timeout
from incidents.models import Incident, Page, Responder, TimelineEntry
from incidents.models.choices import Source
from incidents.services.doorbell import ESCALATE, ring
from incidents.services.pages import pages_create
from incidents.services.timeline import timeline_add
from oncall.models import Person


def _pages_cancel(incident_id: int) -> int:
    return Page.objects.filter(incident_id=incident_id, state=Page.State.PENDING).update(
        state=Page.State.CANCELLED
    )


def escalation_schedule(*, incident: Incident, due_at: datetime, now: datetime) -> dict:
    """Return the field values that make the escalation move at `due_at`, ringing if it is soon."""
    rung = ring(ESCALATE, incident.pk, due_at=due_at, now=now)
    return {
        "esc_due_at": due_at,
        "esc_rung_for": due_at if rung else None,
        "esc_rung_at": now if rung else None,
    }


def _transition(
    incident: Incident, *, allowed, fields: dict, kind: str, now, by, source: str, what: str
) -> bool:
    # The conditional update is the whole trick: of two racing callers only one changes the row,
    # so only one writes the timeline entry, whatever the database.
    changed = Incident.objects.filter(pk=incident.pk, status__in=allowed).update(**fields)
    if changed:
        cancelled = _pages_cancel(incident.pk)
        timeline_add(
            incident=incident,
            kind=kind,
            at=now,
            source=source,
            actor=by,
            data={"pages_cancelled": cancelled},
        )
        events.incident_changed(incident=incident, what=what, now=now)
    incident.refresh_from_db()
    return bool(changed)


@transaction.atomic
def incident_acknowledge(
    *, incident: Incident, now: datetime, by: Person | None = None, source: str = Source.ENGINE
) -> bool:
    """Acknowledge a triggered incident: stop its escalation and pending pages.

    Return False (and change nothing) when it was not triggered. During an event covering the
    service, the re-trigger timeout is the shorter of the service's and the event's. A test
    page (kind "test") is confirmed by its acknowledgement and resolved at once.
    """
    timeout = incident.service.ack_timeout_minutes
    during = event_ack_timeout(service_id=incident.service_id, at=now)
    if during is not None:
        timeout = min(timeout, during) if timeout else during
    fields = {
        "status": Incident.Status.ACKNOWLEDGED,
        "acknowledged_at": now,
        "acknowledged_by": by,
        "ack_source": source,
        "esc_due_at": None,
        "ack_timeout_at": now + timedelta(minutes=timeout) if timeout else None,
    }
    changed = _transition(
        incident,
        allowed=[Incident.Status.TRIGGERED],
        fields=fields,
        kind=TimelineEntry.Kind.ACKNOWLEDGED,
        now=now,
        by=by,
        source=source,
        what=events.ACKNOWLEDGED,
    )
    if changed and incident.kind == Incident.Kind.TEST:
        # Confirmed: nothing more to do, and no acknowledgement timeout may page again.
        incident_resolve(incident=incident, now=now, by=by, source=source)
    return changed


@transaction.atomic
def incident_resolve(
    *, incident: Incident, now: datetime, by: Person | None = None, source: str = Source.ENGINE
) -> bool:
    """Resolve an open incident; False (and nothing changed) when it was already resolved."""
    fields = {
        "status": Incident.Status.RESOLVED,
        "resolved_at": now,
        "resolved_by": by,
        "esc_due_at": None,
        "ack_timeout_at": None,
        "auto_resolve_at": None,
    }
    return _transition(
        incident,
        allowed=Incident.OPEN,
        fields=fields,
        kind=TimelineEntry.Kind.RESOLVED,
        now=now,
        by=by,
        source=source,
        what=events.RESOLVED,
    )


def _next_loop(incident: Incident) -> int:
    used = Page.objects.filter(incident=incident).aggregate(top=Max("loop"))["top"]
    return max(incident.esc_loop, used if used is not None else -1) + 1


@transaction.atomic
def incident_escalate_restart(
    *,
    incident: Incident,
    now: datetime,
    kind: str,
    by: Person | None = None,
    source: str = Source.ENGINE,
    message: str = "",
    from_status=(Incident.Status.ACKNOWLEDGED,),
) -> bool:
    """Put an open incident back to triggered and run its policy again from the first step."""
    locked = Incident.objects.select_for_update().filter(pk=incident.pk, status__in=from_status)
    current = locked.first()
    if current is None:
        return False
    fields = {
        "status": Incident.Status.TRIGGERED,
        "acknowledged_at": None,
        "acknowledged_by": None,
        "ack_source": "",
        "ack_timeout_at": None,
        "esc_step": 0,
        "esc_pass": 0,
        "esc_loop": _next_loop(current),
        **escalation_schedule(incident=current, due_at=now, now=now),
    }
    Incident.objects.filter(pk=incident.pk).update(**fields)
    timeline_add(incident=incident, kind=kind, at=now, source=source, actor=by, message=message)
    events.incident_changed(incident=incident, what=events.RETRIGGERED, now=now)
    incident.refresh_from_db()
    return True


def incident_unacknowledge(*, incident: Incident, now: datetime) -> bool:
    """Re-trigger an acknowledged incident whose acknowledgement timed out, or whose snooze
    ended (a snooze is an acknowledgement timeout chosen by hand)."""
    last = (
        incident.timeline.filter(
            kind__in=(TimelineEntry.Kind.ACKNOWLEDGED, TimelineEntry.Kind.SNOOZED)
        )
        .order_by("-at", "-id")
        .values_list("kind", flat=True)
        .first()
    )
    snoozed = last == TimelineEntry.Kind.SNOOZED
    return incident_escalate_restart(
        incident=incident,
        now=now,
        kind=TimelineEntry.Kind.UNACKNOWLEDGED,
        source=Source.ENGINE,
        message=(
            "The snooze ended; paging again."
            if snoozed
            else "The acknowledgement timed out; paging again."
        ),
    )


SNOOZE_MINUTES = (1, 1440)


@transaction.atomic
def incident_snooze(
    *,
    incident: Incident,
    minutes: int,
    now: datetime,
    by: Person | None = None,
    source=Source.ENGINE,
) -> bool:
    """Snooze an acknowledged incident: it returns to triggered after `minutes` and escalates
    again from its first step. False (nothing changed) when it is not acknowledged."""
    low, high = SNOOZE_MINUTES
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not low <= minutes <= high:
        raise ValidationError(
            {"minutes": f"Snooze for a whole number of minutes, {low} to {high}."}
        )
    until = now + timedelta(minutes=minutes)
    # The engine's acknowledgement timeout does the re-trigger: a snooze only moves it.
    changed = Incident.objects.filter(pk=incident.pk, status=Incident.Status.ACKNOWLEDGED).update(
        ack_timeout_at=until
    )
    if changed:
        timeline_add(
            incident=incident,
            kind=TimelineEntry.Kind.SNOOZED,
            at=now,
            source=source,
            actor=by,
            message=f"Snoozed for {minutes} minutes, until {until.astimezone(UTC):%H:%M} UTC.",
            data={"minutes": minutes, "until": until.isoformat()},
        )
        events.incident_changed(incident=incident, what=events.SNOOZED, now=now)
    incident.refresh_from_db()
    return bool(changed)


@transaction.atomic
def incident_escalate_now(
    *, incident: Incident, now: datetime, by: Person | None = None, source: str = Source.ENGINE
) -> bool:
    """Move a triggered incident to its next escalation step at once."""
    changed = Incident.objects.filter(
        pk=incident.pk, status=Incident.Status.TRIGGERED, esc_due_at__isnull=False
    ).update(**escalation_schedule(incident=incident, due_at=now, now=now))
    if changed:
        timeline_add(
            incident=incident,
            kind=TimelineEntry.Kind.ESCALATED,
            at=now,
            source=source,
            actor=by,
            message="Escalated now by hand.",
        )
    incident.refresh_from_db()
    return bool(changed)


@transaction.atomic
def incident_reassign(
    *, incident: Incident, to: Person, now: datetime, by: Person | None = None, source=Source.ENGINE
) -> bool:
    """Hand an open incident to `to`: it is triggered again and `to` is paged."""
    if not incident.is_open:
        raise ValidationError({"incident": f"#{incident.number} is resolved."})
    Incident.objects.filter(pk=incident.pk).update(assignee=to)
    timeline_add(
        incident=incident,
        kind=TimelineEntry.Kind.REASSIGNED,
        at=now,
        source=source,
        actor=by,
        message=f"Reassigned to {to.display_name}.",
        data={"person": to.pk},
    )
    _responder_page(incident=incident, person=to, now=now)
    incident.refresh_from_db()
    return True


@transaction.atomic
def incident_add_responder(
    *,
    incident: Incident,
    person: Person,
    now: datetime,
    by: Person | None = None,
    source=Source.ENGINE,
) -> bool:
    """Ask `person` to help: they are paged by their own rules. False if already asked."""
    if not incident.is_open:
        raise ValidationError({"incident": f"#{incident.number} is resolved."})
    if Responder.objects.filter(incident=incident, person=person).exists():
        return False
    timeline_add(
        incident=incident,
        kind=TimelineEntry.Kind.RESPONDER_ADDED,
        at=now,
        source=source,
        actor=by,
        message=f"{person.display_name} was asked to help.",
        data={"person": person.pk},
    )
    _responder_page(incident=incident, person=person, now=now, added_by=by)
    return True


def _responder_page(*, incident, person, now, added_by=None) -> None:
    loop = _next_loop(incident)
    Responder.objects.update_or_create(
        incident=incident,
        person=person,
        defaults={"added_by": added_by, "added_at": now, "loop": loop},
    )
    pages_create(incident=incident, people=[person], step=-1, loop=loop, fired_at=now)


def incident_add_note(
    *, incident: Incident, text: str, now: datetime, by: Person | None = None, source=Source.ENGINE
) -> TimelineEntry:
    """Add a note to the incident's timeline."""
    text = text.strip()
    if not text:
        raise ValidationError({"text": "A note needs some text."})
    return timeline_add(
        incident=incident,
        kind=TimelineEntry.Kind.NOTE,
        at=now,
        source=source,
        actor=by,
        message=text[:5000],
    )
