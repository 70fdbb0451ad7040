"""The engine: fire escalation steps, create pages, send them, and sweep for what is due.

The database is the record of what must happen next; Celery only rings the doorbell. Every
piece of work is claimed by a conditional UPDATE (or a row lock that skips locked rows on
PostgreSQL), so any number of workers and schedulers give the pages one of each would.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.db.models.constants import OnConflict

from incidents import escalation, render
from incidents.models import Incident, MaintenanceWindow, Page, TimelineEntry
from incidents.services.doorbell import ENGINE, MAX_COUNTDOWN, ring, ring_now
from incidents.services.incidents import ESCALATE, escalation_schedule
from incidents.services.policies import policy_snapshot
from incidents.services.targets import targets_resolve
from incidents.services.timeline import timeline_add
from oncall import fatigue
from oncall.channels.base import ChannelError, LookupUnsupported, Message, OutcomeUnknown
from oncall.channels.registry import channel_for
from oncall.models import NotificationRule, Person

log = logging.getLogger(__name__)

SEND = "incidents.tasks.page_send"
RECONCILE = "incidents.tasks.page_reconcile"
LOOKAHEAD = timedelta(seconds=10)  # the sweep rings what falls due before its next run
SWEEP_BATCH = 500
RUN_BUDGET_SECONDS = 10.0  # an engine run hands over to a fresh one after this long


def _lease() -> timedelta:
    """How long a claimed page may stay "sending" before it is reconciled."""
    return timedelta(seconds=settings.PLANTAO_ENGINE_LEASE_SECONDS)


def _stuck() -> timedelta:
    """How late a rung doorbell may be before the sweep takes it as lost and rings again."""
    return timedelta(seconds=settings.PLANTAO_ENGINE_STUCK_SECONDS)


def _skip_locked(queryset):
    """Lock the rows for update, skipping rows another worker holds (PostgreSQL).

    SQLite has no row locks: its writers are serialised by the database lock instead, and the
    conditional updates below make a second claimer find nothing to do.
    """
    if connection.features.has_select_for_update_skip_locked:
        # Only the incident's own row ("self", not the joined service), and FOR NO KEY UPDATE:
        # new alerts and pages that reference the incident or its service never wait on it.
        return queryset.select_for_update(skip_locked=True, of=("self",), no_key=True)
    return queryset


def maintenance_until(*, service_id: int, at: datetime) -> datetime | None:
    """Return when the service's current maintenance window ends, or None if there is none."""
    return (
        MaintenanceWindow.objects.filter(service_id=service_id, start__lte=at, end__gt=at)
        .order_by("-end")
        .values_list("end", flat=True)
        .first()
    )


def pages_create(
    *,
    incident: Incident,
    people: list[Person],
    step: int,
    loop: int,
    fired_at: datetime,
    send_due: bool = False,
) -> list[Page]:
    """Create one pending page per person and matching notification rule; ring those due soon.

    Only verified contact methods are used. Low-urgency pages wait for the person's daytime.
    The unique key (incident, step, loop, person, rule) makes a second page impossible.
    With `send_due`, pages already due are not rung: the caller sends them after commit (and if
    it dies first, the sweep finds them due and not rung).
    """
    rules = (
        NotificationRule.objects.filter(
            person__in=people,
            urgency=incident.urgency,
            contact_method__verified_at__isnull=False,
        )
        .select_related("contact_method", "person")
        .order_by("person_id", "delay_minutes", "id")
    )
    # A page still waiting to go out (say, for the person's morning) is not queued twice.
    waiting = set(
        Page.objects.filter(
            incident=incident, person__in=people, state=Page.State.PENDING
        ).values_list("person_id", "rule_id")
    )
    pages = []
    for rule in rules:
        if (rule.person_id, rule.pk) in waiting:
            continue
        due = fired_at + timedelta(minutes=rule.delay_minutes)
        if incident.urgency == "low":
            due = fatigue.next_daytime(due, rule.person.time_zone)
        pages.append(
            Page(
                incident=incident,
                step=step,
                loop=loop,
                person=rule.person,
                rule_id=rule.pk,
                contact_method=rule.contact_method,
                kind=rule.contact_method.kind,
                address=rule.contact_method.address,
                urgency=incident.urgency,
                due_at=due,
                created_at=fired_at,
            )
        )
    if not pages:
        return []
    for page in pages:
        # Rung on commit below unless sent by the caller or left to the sweep (too far off):
        # recorded now, in the same INSERT, so the sweep does not ring it again.
        if not (send_due and page.due_at <= fired_at) and page.due_at - fired_at <= MAX_COUNTDOWN:
            page.rung_for, page.rung_at = page.due_at, fired_at
    returned = Page.objects._insert(
        pages,
        fields=[f for f in Page._meta.concrete_fields if not f.primary_key],
        returning_fields=[Page._meta.get_field(f) for f in ("id", "person", "rule_id")],
        on_conflict=OnConflict.IGNORE,
    )
    ids = {(person, rule): pk for pk, person, rule in (row for row in returned if row)}
    created = []  # the unique key may have turned some away: those are not ours to ring or send
    for page in pages:
        page.pk = ids.get((page.person_id, page.rule_id))
        if page.pk is not None:
            created.append(page)
            if page.rung_for is not None:
                ring(SEND, page.pk, due_at=page.due_at, now=fired_at)
    return created


@dataclass(frozen=True)
class Fired:
    """An escalation step that fired: which incident, and its pages due at once."""

    incident_id: int
    due_pages: list[Page] = field(default_factory=list)  # in memory, as created


def _due_incident(queryset):
    return _skip_locked(queryset.filter(status=Incident.Status.TRIGGERED)).select_related(
        "service",
        "service__escalation_policy",  # the policy's version: its snapshot is kept
    )


@transaction.atomic
def escalation_fire(*, incident_id: int, now: datetime) -> Fired | None:
    """Fire the escalation step that is due for this incident, once, whoever else tries.

    Return what fired (None: nothing was due, or another worker holds it). Pages due at once
    are left for the caller to send after commit (escalation_run does).
    """
    incident = _due_incident(Incident.objects.filter(pk=incident_id, esc_due_at__lte=now)).first()
    return None if incident is None else _fire(incident, now)


def escalation_fire_next(*, now: datetime) -> Fired | None:
    """Fire the most overdue escalation step of any incident, skipping those others hold."""
    with transaction.atomic():
        incident = _due_incident(
            Incident.objects.filter(esc_due_at__lte=now).order_by("esc_due_at")
        ).first()
        return None if incident is None else _fire(incident, now)


def escalation_run(*, incident_id: int, now: datetime) -> Fired | None:
    """Fire this incident's due step, then send its pages that are due now (one worker hop)."""
    fired = escalation_fire(incident_id=incident_id, now=now)
    if fired is not None:
        _send_due(fired, now)
    return fired


def _send_due(fired: Fired, now: datetime) -> None:
    """Send the pages a step just created, from memory: the claim is the only read-back.

    Had the incident been acknowledged or resolved meanwhile, its pending pages were cancelled
    and the claim finds nothing.
    """
    for page in fired.due_pages:
        if _claim(page.pk, now=now, state=Page.State.PENDING, due_at__lte=now):
            _deliver(page, now=now)


def engine_run(*, clock: Callable[[], datetime], budget: float = RUN_BUDGET_SECONDS) -> int:
    """Fire every escalation step that is due, most overdue first, sending each one's first pages
    at once; return how many fired. Any number of runs may go at once: each takes the next step
    nobody else holds. Past its budget a run rings for a fresh one and stops, so a long storm
    does not keep one task (and its broker message) busy for minutes."""
    deadline = time.monotonic() + budget
    fired_count = 0
    while True:
        now = clock()
        fired = escalation_fire_next(now=now)
        if fired is None:
            return fired_count
        fired_count += 1
        _send_due(fired, now)
        if time.monotonic() > deadline:
            ring_now(ENGINE, None)
            return fired_count


def _policy(incident: Incident, now: datetime) -> escalation.Policy | None:
    """Return the incident's policy, copying the service's onto it when it first escalates.

    The copy is taken by the first step, within a second of the trigger, so that the request
    that opened the incident stays short; later edits of the policy never change it.
    """
    if incident.policy_snapshot is None:
        service = incident.service
        try:
            snapshot = policy_snapshot(service.escalation_policy)
        except escalation.EscalationError as error:
            log.error("service %s: escalation policy unusable: %s", service, error)
            _escalation_update(incident, {"esc_due_at": None})
            timeline_add(
                incident=incident,
                kind=TimelineEntry.Kind.NOBODY,
                at=now,
                message=f"The escalation policy cannot be used ({error}); nobody was paged.",
            )
            return None
        if snapshot is None:
            _escalation_update(incident, {"esc_due_at": None})
            timeline_add(
                incident=incident,
                kind=TimelineEntry.Kind.NOBODY,
                at=now,
                message=f"{service} has no escalation policy: nobody was paged.",
            )
            return None
        incident.policy_snapshot = snapshot  # saved with the step's own update, in _fire
    return escalation.policy_from_snapshot(incident.policy_snapshot)


def _fire(incident: Incident, now: datetime) -> Fired:
    held_until = maintenance_until(service_id=incident.service_id, at=now)
    if held_until is not None:
        _escalation_update(
            incident, escalation_schedule(incident=incident, due_at=held_until, now=now)
        )
        timeline_add(
            incident=incident,
            kind=TimelineEntry.Kind.HELD,
            at=now,
            message=f"{incident.service} is in maintenance until {held_until:%Y-%m-%d %H:%M} UTC.",
        )
        return Fired(incident.pk)
    policy = _policy(incident, now)
    if policy is None:
        return Fired(incident.pk)
    position = escalation.Position(incident.esc_step, incident.esc_loop, incident.esc_pass)
    advance = escalation.escalation_advance(policy, position, now)
    people, empty = targets_resolve(
        targets=advance.fire.targets, incident_number=incident.number, loop=position.loop, at=now
    )
    pages = pages_create(
        incident=incident,
        people=people,
        step=position.step,
        loop=position.loop,
        fired_at=now,
        send_due=True,
    )
    fields = {"esc_due_at": None, "esc_rung_for": None, "esc_rung_at": None}
    if advance.next_position is not None:
        fields = {
            "esc_step": advance.next_position.step,
            "esc_loop": advance.next_position.loop,
            "esc_pass": advance.next_position.pass_,
            **escalation_schedule(incident=incident, due_at=advance.next_due, now=now),
        }
    _escalation_update(incident, {**fields, "policy_snapshot": incident.policy_snapshot})
    names = ", ".join(p.display_name for p in people) or "nobody"
    timeline_add(
        incident=incident,
        kind=TimelineEntry.Kind.ESCALATED,
        at=now,
        message=f"Step {position.step + 1} (pass {position.pass_ + 1}): paging {names}.",
        data={
            "step": position.step,
            "loop": position.loop,
            "people": [p.pk for p in people],
            "pages": len(pages),
        },
    )
    for note in empty:
        timeline_add(incident=incident, kind=TimelineEntry.Kind.NOBODY, at=now, message=note)
    return Fired(incident.pk, [page for page in pages if page.due_at <= now])


def _escalation_update(incident: Incident, fields: dict) -> None:
    Incident.objects.filter(pk=incident.pk).update(**fields)


def _message(page: Page) -> Message:
    incident = page.incident
    words = {"number": incident.number, "severity": incident.severity, "title": incident.title}
    return Message(
        reference=page.reference,
        kind=page.kind,
        address=page.address,
        subject=render.page_subject(**words),
        body=render.page_sms(**words),
    )


def _claim(page_id: int, *, now: datetime, **condition) -> bool:
    return bool(
        Page.objects.filter(pk=page_id, **condition).update(
            state=Page.State.SENDING, lease_until=now + _lease(), attempts=F("attempts") + 1
        )
    )


def page_send(*, page_id: int, now: datetime) -> str | None:
    """Send one due page, once: claim it, hand it to its channel, record what happened."""
    if not _claim(page_id, now=now, state=Page.State.PENDING, due_at__lte=now):
        return None
    page = Page.objects.select_related("incident", "person").get(pk=page_id)
    if page.incident.status != Incident.Status.TRIGGERED and page.step >= 0:
        Page.objects.filter(pk=page_id, state=Page.State.SENDING).update(
            state=Page.State.CANCELLED, lease_until=None
        )
        return Page.State.CANCELLED
    return _deliver(page, now=now)


def _deliver(page: Page, *, now: datetime) -> str | None:
    channel = channel_for(page.kind)
    try:
        result = channel.send(_message(page))
    except OutcomeUnknown as error:
        # Leave it "sending": once its lease runs out, reconciliation asks the provider.
        log.warning("page %s: outcome unknown (%s)", page.pk, error)
        return None
    except ChannelError as error:
        return page_failed(page=page, reason=error.reason, now=now)
    return page_sent(page=page, provider_id=result.provider_id, status=result.status, now=now)


def page_sent(*, page: Page, provider_id: str, status: str, now: datetime) -> str:
    """Record that the channel took the page, with the person's local time (fatigue)."""
    local, interruption = fatigue.interruption_at(now, page.person.time_zone)
    state = Page.State.DELIVERED if status == "delivered" else Page.State.SENT
    changed = Page.objects.filter(pk=page.pk, state=Page.State.SENDING).update(
        state=state,
        provider_id=provider_id,
        sent_at=now,
        delivered_at=now if state == Page.State.DELIVERED else None,
        lease_until=None,
        local_time=local.isoformat(timespec="seconds"),
        interruption=interruption,
        error="",
    )
    if changed:
        timeline_add(
            incident=page.incident_id,
            kind=TimelineEntry.Kind.PAGE_SENT,
            at=now,
            message=f"{page.kind} to {page.person.display_name} "
            f"({interruption} hours, {local:%H:%M} there).",
            data={"page": page.pk, "kind": page.kind, "person": page.person_id},
        )
    return state


def page_failed(*, page: Page, reason: str, now: datetime) -> str:
    """Record that the page cannot go out, and why."""
    changed = Page.objects.filter(pk=page.pk, state=Page.State.SENDING).update(
        state=Page.State.FAILED, failed_at=now, error=reason[:500], lease_until=None
    )
    if changed:
        timeline_add(
            incident=page.incident_id,
            kind=TimelineEntry.Kind.PAGE_FAILED,
            at=now,
            message=f"{page.kind} to {page.person.display_name} failed: {reason}",
            data={"page": page.pk},
        )
    return Page.State.FAILED


def page_reconcile(*, page_id: int, now: datetime) -> str | None:
    """Settle a page whose sender vanished mid-send: ask the provider, never send blindly twice."""
    if not _claim(page_id, now=now, state=Page.State.SENDING, lease_until__lt=now):
        return None
    page = Page.objects.select_related("incident", "person").get(pk=page_id)
    channel = channel_for(page.kind)
    try:
        known = channel.lookup(page.reference)
    except LookupUnsupported:
        return page_failed(
            page=page, reason="outcome unknown and the channel cannot tell; not repeated", now=now
        )
    if known is not None:
        return page_sent(page=page, provider_id=known.provider_id, status=known.status, now=now)
    if page.incident.status != Incident.Status.TRIGGERED and page.step >= 0:
        Page.objects.filter(pk=page_id, state=Page.State.SENDING).update(
            state=Page.State.CANCELLED, lease_until=None
        )
        return Page.State.CANCELLED
    return _deliver(page, now=now)


def _not_rung(due: str, rung: str, rung_at: str, now: datetime) -> Q:
    # Ring what is due soon and was not rung for this due time, and what was rung so long ago,
    # and is overdue, that its ring must have been lost (broker flushed, worker killed). Judging
    # by when it was rung, not by how overdue it is, rings each lost item once per STUCK period
    # instead of on every sweep, so a backlog is not flooded with repeats.
    lost = _stuck()
    return Q(**{f"{due}__lte": now + LOOKAHEAD}) & (
        Q(**{f"{rung}__isnull": True})
        | ~Q(**{rung: F(due)})
        | Q(**{f"{due}__lte": now - lost}, **{f"{rung_at}__isnull": True})
        | Q(**{f"{due}__lte": now - lost, f"{rung_at}__lte": now - lost})
    )


def _ring_due(queryset, *, due: str, rung: str, rung_at: str, task: str, now: datetime) -> int:
    """Ring `task` for each row of `queryset` due soon and not yet rung (or rung and lost)."""
    rows = list(
        queryset.filter(_not_rung(due, rung, rung_at, now)).values_list("pk", due)[:SWEEP_BATCH]
    )
    for pk, due_at in rows:
        ring_now(task, pk, (due_at - now).total_seconds())
    queryset.model.objects.filter(pk__in=[pk for pk, _ in rows]).update(
        **{rung: F(due), rung_at: now}
    )
    return len(rows)


def sweep(*, now: datetime) -> dict[str, int]:
    """Find what is due or stuck and ring the doorbell for it; run the timeouts. Idempotent."""
    counts = {
        "escalations": _ring_due(
            Incident.objects.filter(status=Incident.Status.TRIGGERED),
            due="esc_due_at",
            rung="esc_rung_for",
            rung_at="esc_rung_at",
            task=ESCALATE,
            now=now,
        ),
        "pages": _ring_due(
            Page.objects.filter(state=Page.State.PENDING),
            due="due_at",
            rung="rung_for",
            rung_at="rung_at",
            task=SEND,
            now=now,
        ),
    }
    stuck = list(
        Page.objects.filter(state=Page.State.SENDING, lease_until__lt=now).values_list(
            "pk", flat=True
        )[:SWEEP_BATCH]
    )
    for pk in stuck:
        ring_now(RECONCILE, pk)
    counts["reconciles"] = len(stuck)
    counts.update(_timeouts(now))
    return counts


def _timeouts(now: datetime) -> dict[str, int]:
    from incidents.services.alerts import heartbeats_overdue
    from incidents.services.incidents import incident_resolve, incident_unacknowledge

    retriggered = resolved = 0
    for incident in Incident.objects.filter(
        status=Incident.Status.ACKNOWLEDGED, ack_timeout_at__lte=now
    ).select_related("service")[:SWEEP_BATCH]:
        retriggered += incident_unacknowledge(incident=incident, now=now)
    for incident in Incident.objects.filter(
        status__in=Incident.OPEN, auto_resolve_at__lte=now
    ).select_related("service")[:SWEEP_BATCH]:
        resolved += incident_resolve(incident=incident, now=now, source="system")
    return {
        "retriggered": retriggered,
        "auto_resolved": resolved,
        "heartbeats": heartbeats_overdue(now=now),
    }
