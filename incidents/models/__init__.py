from .incidents import Alert, Incident, Responder, TimelineEntry
from .insights import InsightBucket, NoiseDay, RollupWatermark
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
from .proposals import RotaProposal
from .rest import RestNotice, RestOffer
from .services import MaintenanceWindow, Service

__all__ = [
    "ActionItem",
    "Alert",
    "EmailLinkKey",
    "EscalationPolicy",
    "EscalationStep",
    "EscalationTarget",
    "InsightBucket",
    "Incident",
    "Integration",
    "MaintenanceWindow",
    "NoiseDay",
    "Page",
    "Postmortem",
    "PostmortemEntry",
    "PostmortemIncident",
    "PostmortemReviewer",
    "PostmortemSection",
    "PostmortemSettings",
    "Responder",
    "RestNotice",
    "RestOffer",
    "RotaProposal",
    "RollupWatermark",
    "Service",
    "TimelineEntry",
]
