"""The engine: fire escalation steps, send their first pages, and sweep for what is due.

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

from incidents import escalation
from incidents.big_events.selectors import EventExtras, event_extras
from incidents.models import Incident, MaintenanceWindow, Page, TimelineEntry
from incidents.models.choices import Source
from incidents.rows import rows_update
from incidents.services.doorbell import (
    ENGINE,
    ESCALATE,
    RECONCILE,
    SEND,
    ring_engine_soon,
    ring_now,
)
from incidents.services.incidents import escalation_schedule
from incidents.services.pages import PageRequest, pages_create_many, pages_send_created
from incidents.services.policies import policy_snapshot, policy_snapshots_keep
from incidents.services.slack_channel import slack_incidents_announce
from incidents.services.targets import targets_resolve
from oncall import selectors
from oncall.models import Person

log = logging.getLogger(__name__)

LOOKAHEAD = timedelta(seconds=10)  # the sweep rings what falls due before its next run
SWEEP_BATCH = 500
FIRE_BATCH = 50  # steps an engine run fires in one transaction before sending their pages
RUN_BUDGET_SECONDS = 10.0  # an engine run hands over to a fresh one after this long


def _stuck() -> timedelta:
    """How late a rung doorbell may be before the sweep takes it as lost and rings again."""
    return timedelta(seconds=settings.PLANTAO_ENGINE_STUCK_SECONDS)


def _skip_locked(queryset):
    """Lock the rows for update, skipping rows another worker holds (PostgreSQL).

    SQLite has no row locks: its writers are serialised by the database lock instead, and the
    conditional updates below make a second claimer find nothing to do.
    """
    return _locked(queryset, skip=True)


def _locked(queryset, *, skip: bool):
    if connection.features.has_select_for_update_skip_locked:
        # Only the incident's own row ("self", not the joined service), and FOR NO KEY UPDATE:
        # new alerts and pages that reference the incident or its service never wait on it.
        return queryset.select_for_update(skip_locked=skip, of=("self",), no_key=True)
    return queryset


def maintenance_ends(*, service_ids: set[int], at: datetime) -> dict[int, datetime]:
    """Return, for each service in maintenance at `at`, when its current window ends."""
    ends: dict[int, datetime] = {}
    for service_id, end in MaintenanceWindow.objects.filter(
        service_id__in=service_ids, start__lte=at, end__gt=at
    ).values_list("service_id", "end"):
        ends[service_id] = max(end, ends.get(service_id, end))
    return ends


def maintenance_until(*, service_id: int, at: datetime) -> datetime | None:
    """Return when the service's current maintenance window ends, or None if there is none."""
    return maintenance_ends(service_ids={service_id}, at=at).get(service_id)


@dataclass(frozen=True)
class Fired:
    """An escalation step that fired: which incident, and its pages due at once."""

    incident_id: int
    due_pages: list[Page] = field(default_factory=list)  # in memory, as created


def _due(queryset, *, skip: bool = True):
    return _locked(queryset.filter(status=Incident.Status.TRIGGERED), skip=skip).select_related(
        "service",
        "service__escalation_policy",  # the policy's version: its snapshot is kept
    )


@transaction.atomic
def escalation_fire(*, incident_id: int, now: datetime) -> Fired | None:
    """Fire the escalation step that is due for this incident, once, whoever else tries.

    Return what fired (None: nothing was due). Pages due at once are left for the caller to
    send after commit (escalation_run does).

    This one row's lock is waited for, not skipped: its holder may be firing the step (then,
    once it commits, the step is no longer due here) or only touching the row (the sweep
    recording that it rang, an alert, an engine run that skipped it), and a step skipped then
    would wait for the sweep to take its ring as lost. Holding no other lock, this cannot
    deadlock.
    """
    incident = _due(Incident.objects.filter(pk=incident_id, esc_due_at__lte=now), skip=False)
    incident = incident.first()
    return None if incident is None else _fire_many([incident], now)[0]


def escalation_fire_due(*, now: datetime, limit: int = FIRE_BATCH) -> list[Fired]:
    """Fire the most overdue escalation steps of any incidents, skipping those others hold."""
    with transaction.atomic():
        incidents = list(
            _due(Incident.objects.filter(esc_due_at__lte=now).order_by("esc_due_at"))[:limit]
        )
        return _fire_many(incidents, now) if incidents else []


def escalation_run(*, incident_id: int, now: datetime) -> Fired | None:
    """Fire this incident's due step, then send its pages that are due now (one worker hop)."""
    fired = escalation_fire(incident_id=incident_id, now=now)
    if fired is not None:
        pages_send_created(fired.due_pages, now=now)
    return fired


def engine_run(*, clock: Callable[[], datetime], budget: float = RUN_BUDGET_SECONDS) -> int:
    """Fire every escalation step that is due, most overdue first, a batch per transaction,
    sending each one's first pages at once; return how many fired. Any number of runs may go at
    once: each takes steps nobody else holds, and a run that finds a full batch rings for one
    more. A run goes on while its batches are full, then stops, ringing (coalesced) for a run in
    the next slice. Past its budget a run rings for a fresh one and stops, so a long storm does
    not keep one task (and its broker message) busy for minutes."""
    deadline = time.monotonic() + budget
    fired_count = 0
    helped = False
    while True:
        now = clock()
        fired = escalation_fire_due(now=now)
        if not fired:
            return fired_count
        if len(fired) == FIRE_BATCH and not helped:
            # A full batch: more may be waiting. Ring for one more run, so that another worker
            # process takes its share (runs skip what others hold); it rings for the next.
            ring_now(ENGINE, None)
            helped = True
        fired_count += len(fired)
        pages_send_created([page for f in fired for page in f.due_pages], now=now, clock=clock)
        if len(fired) < FIRE_BATCH:
            # Caught up. Rather than ask again at once (in a steady flow, a few at a time, at
            # the cost of a whole round each), leave what comes next to the doorbell of the
            # commits that bring it; a step skipped because another transaction held its row
            # is taken by the run this rings, in the next slice.
            ring_engine_soon()
            return fired_count
        if time.monotonic() > deadline:
            ring_now(ENGINE, None)
            return fired_count


def _policy(incident: Incident) -> tuple[escalation.Policy | None, str]:
    """Return the incident's policy, copying the service's onto it when it first escalates; or
    None and why nobody can be paged.

    The copy is taken by the first step, within a second of the trigger, so that the request
    that opened the incident stays short; later edits of the policy never change it.
    """
    if incident.policy_snapshot is None:
        service = incident.service
        try:
            snapshot = policy_snapshot(service.escalation_policy)
        except escalation.EscalationError as error:
            log.error("service %s: escalation policy unusable: %s", service, error)
            return None, f"The escalation policy cannot be used ({error}); nobody was paged."
        if snapshot is None:
            return None, f"{service} has no escalation policy: nobody was paged."
        incident.policy_snapshot = snapshot  # saved with the step's own update
    return escalation.policy_from_snapshot(incident.policy_snapshot), ""


@dataclass
class _Step:
    incident: Incident
    position: escalation.Position
    advance: escalation.Advance
    people: list = field(default_factory=list)
    empty: list = field(default_factory=list)
    extra: list = field(default_factory=list)  # paged for an event (not the step's own)
    events: list = field(default_factory=list)  # the names of those events


MOVE_FIELDS = [
    "id",
    "esc_step",
    "esc_loop",
    "esc_pass",
    "esc_due_at",
    "esc_rung_for",
    "esc_rung_at",
    "policy_snapshot",
]


def _fire_many(incidents: list[Incident], now: datetime) -> list[Fired]:
    """Fire the due step of each incident (locked by the caller), sharing every query.

    One maintenance query, one rota question and one people query for all of them, three
    statements for all their pages, one UPDATE of the incidents, one timeline INSERT.
    """
    held = maintenance_ends(service_ids={i.service_id for i in incidents}, at=now)
    policy_snapshots_keep(
        [i.service.escalation_policy for i in incidents if i.policy_snapshot is None]
    )
    timeline: list[TimelineEntry] = []
    steps: list[_Step] = []
    for incident in incidents:
        until = held.get(incident.service_id)
        if until is not None:
            _escalation_update(
                incident, escalation_schedule(incident=incident, due_at=until, now=now)
            )
            timeline.append(
                _entry(
                    incident,
                    TimelineEntry.Kind.HELD,
                    now,
                    f"{incident.service} is in maintenance until {until:%Y-%m-%d %H:%M} UTC.",
                )
            )
            continue
        policy, problem = _policy(incident)
        if policy is None:
            _escalation_update(incident, {"esc_due_at": None})
            timeline.append(_entry(incident, TimelineEntry.Kind.NOBODY, now, problem))
            continue
        position = escalation.Position(incident.esc_step, incident.esc_loop, incident.esc_pass)
        steps.append(
            _Step(incident, position, escalation.escalation_advance(policy, position, now))
        )

    # One query for the events covering the services whose first step fires now.
    firsts = {s.incident.service_id for s in steps if s.position.step == 0}
    extras = event_extras(service_ids=firsts, at=now) if firsts else {}
    schedules = {
        target.id
        for step in steps
        for target in step.advance.fire.targets
        if target.kind == escalation.TargetKind.SCHEDULE
    } | {pk for extra in extras.values() for pk in extra.schedule_ids}
    on_call = selectors.oncall_people_at(at=now, schedule_ids=schedules) if schedules else {}
    # One query for the people the steps name themselves.
    named = {
        target.id
        for step in steps
        for target in step.advance.fire.targets
        if target.kind == escalation.TargetKind.PERSON
    }
    people = Person.objects.in_bulk(named) if named else {}
    for step in steps:
        step.people, step.empty = targets_resolve(
            targets=step.advance.fire.targets,
            incident_number=step.incident.number,
            loop=step.position.loop,
            at=now,
            on_call=on_call,
            people=people,
        )
        extra = extras.get(step.incident.service_id) if step.position.step == 0 else None
        if extra is not None:
            _event_extras_add(step, extra, on_call)
    pages = pages_create_many(
        (PageRequest(s.incident, s.people, s.position.step, s.position.loop) for s in steps),
        fired_at=now,
        send_due=True,
    )
    moves = []
    for step in steps:
        incident, position, advance = step.incident, step.position, step.advance
        after, fields = position, {"esc_due_at": None, "esc_rung_for": None, "esc_rung_at": None}
        if advance.next_position is not None:
            after = advance.next_position
            fields = escalation_schedule(incident=incident, due_at=advance.next_due, now=now)
        moves.append(
            (
                incident.pk,
                after.step,
                after.loop,
                after.pass_,
                fields["esc_due_at"],
                fields["esc_rung_for"],
                fields["esc_rung_at"],
                incident.policy_snapshot,
            )
        )
        own = [p for p in step.people if p not in step.extra]
        names = ", ".join(p.display_name for p in own) or "nobody"
        if step.extra:
            extra = ", ".join(p.display_name for p in step.extra)
            names += f"; also {extra} (event: {', '.join(step.events)})"
        made = pages.get(incident.pk, [])
        data = {
            "step": position.step,
            "loop": position.loop,
            "people": [p.pk for p in step.people],
            "pages": len(made),
            # When the step was due: how late it fired (rehearsals measure it).
            "due_at": incident.esc_due_at.isoformat() if incident.esc_due_at else None,
        }
        if step.events:
            data["event_people"] = [p.pk for p in step.extra]
        timeline.append(
            _entry(
                incident,
                TimelineEntry.Kind.ESCALATED,
                now,
                f"Step {position.step + 1} (pass {position.pass_ + 1}): paging {names}.",
                data=data,
            )
        )
        timeline.extend(_entry(incident, TimelineEntry.Kind.NOBODY, now, n) for n in step.empty)
    # Every step's move in one UPDATE (the rows are locked: the values are all that differs).
    rows_update(Incident, fields=MOVE_FIELDS, rows=moves)
    TimelineEntry.objects.bulk_create(timeline)
    # The incident's post in its service's Slack channel, when its first step fires (on commit).
    first = escalation.Position(0, 0, 0)
    slack_incidents_announce(incidents=[s.incident for s in steps if s.position == first], now=now)
    return [Fired(i.pk, [p for p in pages.get(i.pk, []) if p.due_at <= now]) for i in incidents]


def _event_extras_add(step: _Step, extra: EventExtras, on_call: dict) -> None:
    """Add the extra responders of the events covering the step's service to its people:
    each person once, after the step's own."""
    step.events = list(extra.names)
    known = {p.pk for p in step.people}
    candidates = list(extra.people.values()) + [
        on_call[pk] for pk in sorted(extra.schedule_ids) if on_call.get(pk) is not None
    ]
    for person in candidates:
        if person.pk not in known:
            known.add(person.pk)
            step.extra.append(person)
            step.people.append(person)


def _entry(incident: Incident, kind: str, at: datetime, message: str, **extra) -> TimelineEntry:
    return TimelineEntry(incident=incident, kind=kind, at=at, message=message, **extra)


def _escalation_update(incident: Incident, fields: dict) -> None:
    Incident.objects.filter(pk=incident.pk).update(**fields)


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
    # Recorded for the due time rung, and only where it still holds: a worker quick to take a
    # ring may have fired the step already, and its next step, due later, was not rung.
    quote = connection.ops.quote_name
    rows_update(
        queryset.model,
        fields=["id", rung, rung_at],
        rows=[(pk, due_at, now) for pk, due_at in rows],
        where=f"{quote(due)} = v.{quote('v_' + rung)}",
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
        resolved += incident_resolve(incident=incident, now=now, source=Source.ENGINE)
    return {
        "retriggered": retriggered,
        "auto_resolved": resolved,
        "heartbeats": heartbeats_overdue(now=now),
    }
