from .big_events import Event, TestPage
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
from .rehearsals import Rehearsal
from .rest import RestNotice, RestOffer
from .services import MaintenanceWindow, Service
from .tallies import Tally

__all__ = [
    "TestPage",
    "Tally",
    "Rehearsal",
    "Event",
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
