from .incidents import Alert, Incident, Responder, TimelineEntry
from .insights import IncidentBucket, NoiseDay, PageBucket, RollupWatermark
from .integrations import Integration
from .pages import EmailLinkKey, Page
from .policies import EscalationPolicy, EscalationStep, EscalationTarget
from .postmortems import (
    ActionItem,
    Postmortem,
    PostmortemEntry,
    PostmortemIncident,
    PostmortemReviewer,
    PostmortemSection,
    PostmortemSettings,
)
from .services import MaintenanceWindow, Service

__all__ = [
    "ActionItem",
    "Alert",
    "EmailLinkKey",
    "EscalationPolicy",
    "EscalationStep",
    "EscalationTarget",
    "IncidentBucket",
    "Incident",
    "Integration",
    "MaintenanceWindow",
    "NoiseDay",
    "Page",
    "PageBucket",
    "Postmortem",
    "PostmortemEntry",
    "PostmortemIncident",
    "PostmortemReviewer",
    "PostmortemSection",
    "PostmortemSettings",
    "Responder",
    "RollupWatermark",
    "Service",
    "TimelineEntry",
]
