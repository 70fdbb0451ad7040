"""What the audit log records of the upper layer's configuration, and the team each object
belongs to (whose admins may read its entries). Incidents, alerts, pages and timelines are not
recorded as rows: they are not configuration, and ingest and paging must stay lean; incident
actions are recorded by incident_act."""

from __future__ import annotations

from incidents.models import (
    EscalationPolicy,
    EscalationStep,
    EscalationTarget,
    Integration,
    MaintenanceWindow,
    Service,
)
from oncall.audit import audit_register


def connect() -> None:
    audit_register(Service, team="team")
    audit_register(MaintenanceWindow, team="service__team")
    # A rotation is recorded by its new hint and grace period, never by a token or digest;
    # last_seen_at and heartbeat_due_at (each ping) are not editable, so never recorded.
    audit_register(
        Integration, team="service__team", include=["token_hint", "previous_valid_until"]
    )
    audit_register(EscalationPolicy, team="team")  # its version is bookkeeping, not editable
    audit_register(EscalationStep, team="policy__team")
    audit_register(EscalationTarget, team="step__policy__team")
