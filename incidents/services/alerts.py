"""Alerts in: store what monitoring said, dedup it into incidents, ack and resolve by key.

The request path stays short: one transaction of a few statements, whatever the number of
alerts; paging happens in workers. Dedup is the database's job: new incidents are inserted with
ON CONFLICT DO NOTHING against the unique index of open incidents per service and key, so of
any number of racing requests exactly one opens the incident and the others join it.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction

from incidents.ingest.base import AlertEvent
from incidents.insights.names import alert_name_of
from incidents.models import Alert, Incident, Integration, Service, TimelineEntry
from incidents.models.choices import Source
from incidents.rows import rows_insert
from incidents.services.doorbell import ring_engine
from incidents.services.incidents import incident_acknowledge, incident_resolve

LAST_SEEN_PRECISION = timedelta(seconds=60)  # spare the integration's row a write per request
INSERT_ATTEMPTS = 3  # a conflicting incident resolved meanwhile: insert again
SEEN_OPEN_SECONDS, SEEN_OPEN_MAX = 1.0, 10_000
_seen_open: dict[tuple[int, str], float] = {}  # (service id, key) -> until when it is a hint


@dataclass(frozen=True)
class IngestResult:
    dedup_key: str
    incident_number: int | None
    created: bool


def _incident_row(service: Service, key: str, event: AlertEvent, now: datetime) -> dict:
    """Return the columns a trigger sets on the incident it opens (rows_insert's row)."""
    timeout = service.auto_resolve_minutes
    return {
        "service_id": service.pk,
        "dedup_key": key,
        "title": (event.title or key)[:1024],
        "alert_name": alert_name_of(details=event.details, title=event.title, dedup_key=key),
        "details": event.details,
        "source_url": event.source_url[:1000],
        "severity": event.severity,
        "urgency": service.urgency_for(event.severity),
        "kind": Incident.Kind.REHEARSAL if service.rehearsal_of_id else Incident.Kind.REAL,
        "created_at": now,
        "auto_resolve_at": now + timedelta(minutes=timeout) if timeout else None,
        # Due now and rung on commit (ring_engine): the first step fires within the second. The
        # policy is copied onto the incident by that first step, in a worker.
        "esc_due_at": now,
        "esc_rung_for": now,
        "esc_rung_at": now,
    }


def _incidents_insert(rows: list[dict]) -> dict[str, int]:
    """Insert the incidents that can be opened; return {dedup key: id} of those inserted.

    A row whose key already has an open incident is skipped by the database, not by a read.
    """
    returned = rows_insert(Incident, rows, ignore_conflicts=True, returning=("id", "dedup_key"))
    return {key: pk for pk, key in returned}


def _rows_insert(model, rows) -> None:
    """INSERT `rows` (dicts of the columns they set) in one statement, reading nothing back."""
    rows_insert(model, rows)


def _incidents_open(service: Service, keys: list[str]) -> dict[str, int]:
    return dict(
        Incident.objects.filter(
            service=service, dedup_key__in=keys, status__in=Incident.OPEN
        ).values_list("dedup_key", "pk")
    )


def _triggers(
    service: Service, events: dict[str, AlertEvent], now: datetime
) -> tuple[dict[str, int], set[str]]:
    """Open or join an incident for each key: return ({key: incident id}, keys opened now)."""
    found: dict[str, int] = {}
    opened: set[str] = set()
    wanted = list(events)
    # Keys this process saw open a moment ago are likely open still (an alert storm): read
    # first, which spares the INSERT that would only conflict. Only the order of the two
    # statements depends on this memory, never the outcome.
    clock = time.monotonic()
    if any(_seen_open.get((service.pk, key), 0.0) > clock for key in wanted):
        found |= _incidents_open(service, wanted)
        wanted = [key for key in wanted if key not in found]
    for _ in range(INSERT_ATTEMPTS):
        if not wanted:
            break
        inserted = _incidents_insert([_incident_row(service, k, events[k], now) for k in wanted])
        found |= inserted
        opened |= set(inserted)
        rest = [key for key in wanted if key not in inserted]
        if not rest:
            break
        found |= _incidents_open(service, rest)
        # Whatever is still missing was resolved between the insert and the read: insert again.
        wanted = [key for key in rest if key not in found]
        if not wanted:
            break
    else:
        raise RuntimeError(f"could not open or find incidents for {wanted!r}")
    if len(_seen_open) > SEEN_OPEN_MAX:
        _seen_open.clear()
    _seen_open.update(((service.pk, key), clock + SEEN_OPEN_SECONDS) for key in found)
    if opened:
        _rows_insert(
            TimelineEntry,
            (
                {
                    "incident_id": found[key],
                    "kind": TimelineEntry.Kind.TRIGGERED,
                    "at": now,
                    "source": Source.MONITORING,
                    "message": f"Opened by trigger {key!r}.",
                }
                for key in events
                if key in opened
            ),
        )
        ring_engine()
    return found, opened


def _apply(incident: Incident | None, action: str, now: datetime) -> None:
    if incident is None:
        return
    if action == Alert.Action.ACKNOWLEDGE:
        incident_acknowledge(incident=incident, now=now, source=Source.MONITORING)
    elif action == Alert.Action.RESOLVE:
        incident_resolve(incident=incident, now=now, source=Source.MONITORING)


def alerts_ingest(
    *, integration: Integration, events: list[AlertEvent], now: datetime
) -> list[IngestResult]:
    """Store `events` from `integration` and apply them to incidents, in order, all or nothing.
    An acknowledge or resolve for a key with no open incident is answered but not stored."""
    with transaction.atomic():
        return alerts_store(integration=integration, events=events, now=now)


def alerts_store(
    *, integration: Integration, events: list[AlertEvent], now: datetime
) -> list[IngestResult]:
    """Do alerts_ingest's writes inside the caller's transaction, which it neither opens nor
    marks with a savepoint: the web tier's group commit (services/group_commit.py) runs many
    requests' writes in one transaction and commits them together.

    Consecutive triggers are taken together: a batch of a hundred new alerts is three INSERTs.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("alerts_store writes inside its caller's transaction: open one")
    service = integration.service
    keyed = [
        (event, event.dedup_key or (uuid.uuid4().hex if event.action == "trigger" else ""))
        for event in events
    ]
    incident_of: list[int | None] = [None] * len(keyed)
    created = [False] * len(keyed)
    start = 0
    while start < len(keyed):
        event, key = keyed[start]
        if event.action != Alert.Action.TRIGGER:
            incident = (
                Incident.objects.filter(service=service, dedup_key=key, status__in=Incident.OPEN)
                .select_related("service")
                .first()
            )
            _apply(incident, event.action, now)
            incident_of[start] = incident.pk if incident is not None else None
            start += 1
            continue
        end = start
        while end < len(keyed) and keyed[end][0].action == Alert.Action.TRIGGER:
            end += 1
        run: dict[str, AlertEvent] = {}
        for event, key in keyed[start:end]:
            run.setdefault(key, event)  # the first alert of a key names its incident
        found, opened = _triggers(service, run, now)
        for index in range(start, end):
            key = keyed[index][1]
            incident_of[index] = found[key]
            if key in opened:
                created[index] = True
                opened.discard(key)  # a key repeated in one batch opened its incident once
        start = end
    _rows_insert(
        Alert,
        (
            {
                "incident_id": incident_id,
                "integration_id": integration.pk,
                "action": event.action,
                "dedup_key": key,
                "title": event.title[:1024],
                "severity": event.severity if event.action == Alert.Action.TRIGGER else "",
                "payload": event.payload,
                "received_at": now,
            }
            for (event, key), incident_id in zip(keyed, incident_of, strict=True)
            # An acknowledge or resolve that matches no open incident changed nothing: keeping
            # it would only be an orphan row (PagerDuty, too, accepts it and forgets it).
            if incident_id is not None
        ),
    )
    seen = integration.last_seen_at
    if seen is None or now - seen > LAST_SEEN_PRECISION:
        Integration.objects.filter(pk=integration.pk).update(last_seen_at=now)
        integration.last_seen_at = now
    return [
        IngestResult(key, incident_id, was_created)
        for (_, key), incident_id, was_created in zip(keyed, incident_of, created, strict=True)
    ]


def heartbeat_key(integration: Integration) -> str:
    return f"heartbeat-{integration.pk}"


def heartbeats_overdue(*, now: datetime) -> int:
    """Open an incident for each heartbeat whose ping is overdue; return how many."""
    opened = 0
    for integration in Integration.objects.filter(
        kind=Integration.Kind.HEARTBEAT, heartbeat_due_at__lte=now
    ).select_related("service", "service__escalation_policy"):
        with transaction.atomic():
            # Claim it: only one sweep opens the incident, the next ping re-arms the heartbeat.
            if not Integration.objects.filter(
                pk=integration.pk, heartbeat_due_at=integration.heartbeat_due_at
            ).update(heartbeat_due_at=None):
                continue
            late = integration.heartbeat_interval_seconds
            alerts_ingest(
                integration=integration,
                events=[
                    AlertEvent(
                        action="trigger",
                        dedup_key=heartbeat_key(integration),
                        title=f"No heartbeat from {integration.name or integration.service} "
                        f"for {late} seconds",
                        severity="critical",
                        details={"last_seen_at": str(integration.last_seen_at)},
                    )
                ],
                now=now,
            )
            opened += 1
    return opened
