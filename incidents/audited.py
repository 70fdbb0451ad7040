"""What the audit log records of the upper layer's configuration, and the team each object
belongs to (whose admins may read its entries). Incidents, alerts, pages and timelines are not
recorded as rows: they are not configuration, and ingest and paging must stay lean; incident
actions are recorded by incident_act."""

from __future__ import annotations

from incidents.models import (
    ActionItem,
    EscalationPolicy,
    EscalationStep,
    EscalationTarget,
    Event,
    Integration,
    MaintenanceWindow,
    Postmortem,
    PostmortemEntry,
    PostmortemIncident,
    PostmortemReviewer,
    PostmortemSection,
    PostmortemSettings,
    Rehearsal,
    RotaProposal,
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
    # A postmortem's prose is autosaved every few seconds: the log records who saved when (the
    # revision moving), headings and status, not every draft of every section's text.
    audit_register(Postmortem, team="team", exclude=["updated_at"])
    audit_register(PostmortemIncident, team="postmortem__team")
    audit_register(PostmortemSection, team="postmortem__team", exclude=["body"])
    audit_register(PostmortemEntry, team="postmortem__team")
    audit_register(PostmortemReviewer, team="postmortem__team")
    audit_register(ActionItem, team="postmortem__team", exclude=["updated_at"])
    audit_register(PostmortemSettings, team="team")
    # A proposal's answer is derived and large: recorded are who asked what, and its status.
    audit_register(RotaProposal, team="schedule__team")
    # A rehearsal: who started it, what was asked, when it finished and whether it passed; the
    # report is large and derived (read it on the rehearsal).
    audit_register(Rehearsal, team="service__team")
    # Its own fields here; its services and extra responders by big_events.services.
    audit_register(Event, team="team")
