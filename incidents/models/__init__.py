from .incidents import Alert, Incident, Responder, TimelineEntry
from .integrations import Integration
from .pages import EmailLinkKey, Page
from .policies import EscalationPolicy, EscalationStep, EscalationTarget
from .services import MaintenanceWindow, Service

__all__ = [
    "Alert",
    "EmailLinkKey",
    "EscalationPolicy",
    "EscalationStep",
    "EscalationTarget",
    "Incident",
    "Integration",
    "MaintenanceWindow",
    "Page",
    "Responder",
    "Service",
    "TimelineEntry",
]
