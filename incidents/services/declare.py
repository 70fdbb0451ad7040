"""Incidents people open by hand, with no alert behind them (Slack's `/incident declare`)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction

from incidents.ingest.text import line_clean
from incidents.insights.names import alert_name_of
from incidents.models import Incident, Service, TimelineEntry
from incidents.models.choices import Severity, Source
from incidents.services.doorbell import ring_engine
from incidents.services.timeline import timeline_add
from oncall.models import Person


@transaction.atomic
def incident_declare(
    *,
    service: Service,
    title: str,
    now: datetime,
    by: Person | None = None,
    source: str = Source.ENGINE,
    severity: str = Severity.CRITICAL,
    urgency: str | None = None,
    details: dict | None = None,
) -> Incident:
    """Open an incident on `service` and start its escalation at once, as an alert would.

    Someone declaring an incident wants the on-call paged, so it is critical unless told; its
    urgency follows the service's rule unless given.
    """
    if service.archived_at is not None:
        raise ValidationError(
            {"service": f"{service.name} is archived: no incident can be declared on it."}
        )
    title = line_clean(title)  # as an alert's: no escapes, overrides or invisible characters
    if not title:
        raise ValidationError({"title": "An incident needs a title."})
    timeout = service.auto_resolve_minutes
    incident = Incident.objects.create(
        service=service,
        dedup_key=f"declared-{uuid.uuid4().hex}",  # never joins, nor is joined by, an alert
        title=title[:1024],
        alert_name=alert_name_of(details=None, title=title, dedup_key=""),
        severity=severity,
        urgency=urgency or service.urgency_for(severity),
        details=details or {},
        created_at=now,
        auto_resolve_at=now + timedelta(minutes=timeout) if timeout else None,
        # Due now and rung on commit, like an alert's incident: the first step fires at once.
        esc_due_at=now,
        esc_rung_for=now,
        esc_rung_at=now,
    )
    who = f" by {by.display_name}" if by else ""
    timeline_add(
        incident=incident,
        kind=TimelineEntry.Kind.TRIGGERED,
        at=now,
        source=source,
        actor=by,
        message=f"Declared{who}.",
    )
    ring_engine()
    return incident
