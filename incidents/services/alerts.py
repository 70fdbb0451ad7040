"""Alerts in: store what monitoring said, dedup it into incidents, ack and resolve by key.

The request path stays short: one transaction, a few statements; paging happens in workers.
Dedup is the database's job (one open incident per service and key), not a read-then-write race.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction

from incidents import escalation
from incidents.ingest.base import AlertEvent
from incidents.models import Alert, Incident, Integration, Service, TimelineEntry
from incidents.services.doorbell import ring
from incidents.services.incidents import ESCALATE, incident_acknowledge, incident_resolve
from incidents.services.policies import policy_snapshot
from incidents.services.timeline import timeline_add

log = logging.getLogger(__name__)

LAST_SEEN_PRECISION = timedelta(seconds=60)  # spare the integration's row a write per request


@dataclass(frozen=True)
class IngestResult:
    dedup_key: str
    incident_number: int | None
    created: bool


class _Request:
    """What one request's alerts share: their service, its open incidents, its policy snapshot.

    Looked up once per request rather than once per alert: an Alertmanager batch of 100 alerts
    costs one query for the open incidents and one snapshot of the policy.
    """

    def __init__(self, service: Service, events: list[AlertEvent]):
        self.service = service
        keys = {event.dedup_key for event in events if event.dedup_key}
        self.open = (
            {
                incident.dedup_key: incident
                for incident in Incident.objects.filter(
                    service=service, dedup_key__in=keys, status__in=Incident.OPEN
                ).select_related("service")
            }
            if keys
            else {}
        )
        self._snapshot = None

    def open_incident(self, key: str | None) -> Incident | None:
        incident = self.open.get(key)
        return incident if incident is not None and incident.is_open else None

    def refetch(self, key: str) -> Incident | None:
        incident = (
            Incident.objects.filter(service=self.service, dedup_key=key, status__in=Incident.OPEN)
            .select_related("service")
            .first()
        )
        if incident is not None:
            self.open[key] = incident
        return incident

    def snapshot(self) -> tuple[dict | None, str]:
        if self._snapshot is None:
            try:
                self._snapshot = policy_snapshot(self.service.escalation_policy), ""
            except escalation.EscalationError as error:
                log.error("service %s: escalation policy unusable: %s", self.service, error)
                problem = f"The escalation policy cannot be used ({error}); nobody was paged."
                self._snapshot = None, problem
        return self._snapshot


def _incident_open(request: _Request, key: str, event: AlertEvent, now: datetime) -> Incident:
    service = request.service
    snapshot, problem = request.snapshot()
    timeout = service.auto_resolve_minutes
    incident = Incident.objects.create(
        service=service,
        dedup_key=key,
        title=(event.title or key)[:1024],
        details=event.details,
        source_url=event.source_url[:1000],
        severity=event.severity,
        urgency=service.urgency_for(event.severity),
        created_at=now,
        policy_snapshot=snapshot,
        auto_resolve_at=now + timedelta(minutes=timeout) if timeout else None,
        # Due now, and rung on commit just below: the first step fires within the second.
        esc_due_at=now,
        esc_rung_for=now,
        esc_rung_at=now,
    )
    ring(ESCALATE, incident.pk, due_at=now, now=now)
    timeline_add(
        incident=incident,
        kind=TimelineEntry.Kind.TRIGGERED,
        at=now,
        source="integration",
        message=problem or f"Opened by {event.action} {key!r}.",
    )
    request.open[key] = incident
    return incident


def _trigger(request: _Request, event: AlertEvent, now: datetime) -> tuple[Incident, bool]:
    key = event.dedup_key or uuid.uuid4().hex
    incident = request.open_incident(key)
    if incident is not None:
        return incident, False
    try:
        with transaction.atomic():
            return _incident_open(request, key, event, now), True
    except IntegrityError:
        # Another request opened it between our read and our insert: the index said no.
        incident = request.refetch(key)
        if incident is None:
            raise
        return incident, False


@transaction.atomic
def alerts_ingest(
    *, integration: Integration, events: list[AlertEvent], now: datetime
) -> list[IngestResult]:
    """Store `events` from `integration` and apply them to incidents, all or nothing."""
    request = _Request(integration.service, events)
    results, alerts = [], []
    for event in events:
        created = False
        if event.action == Alert.Action.TRIGGER:
            incident, created = _trigger(request, event, now)
        else:
            incident = request.open_incident(event.dedup_key)
            if incident is not None and event.action == Alert.Action.ACKNOWLEDGE:
                incident_acknowledge(incident=incident, now=now, source="integration")
            elif incident is not None and event.action == Alert.Action.RESOLVE:
                incident_resolve(incident=incident, now=now, source="integration")
        key = incident.dedup_key if incident is not None else event.dedup_key
        alerts.append(
            Alert(
                incident=incident,
                integration=integration,
                action=event.action,
                dedup_key=key or "",
                title=event.title[:1024],
                severity=event.severity if event.action == Alert.Action.TRIGGER else "",
                payload=event.payload,
                received_at=now,
            )
        )
        results.append(IngestResult(key, incident.number if incident else None, created))
    Alert.objects.bulk_create(alerts)
    seen = integration.last_seen_at
    if seen is None or now - seen > LAST_SEEN_PRECISION:
        Integration.objects.filter(pk=integration.pk).update(last_seen_at=now)
        integration.last_seen_at = now
    return results


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
