from django.db import models


class Severity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    ERROR = "error", "Error"
    WARNING = "warning", "Warning"
    INFO = "info", "Info"


class Urgency(models.TextChoices):
    HIGH = "high", "High"
    LOW = "low", "Low"


class Source(models.TextChoices):
    """Where an action came from, for the timeline and the audit trail."""

    WEB = "web", "Web"
    API = "api", "API"
    SMS = "sms", "SMS"
    VOICE = "voice", "Voice"
    SLACK = "slack", "Slack"
    EMAIL = "email", "E-mail"
    MONITORING = "monitoring", "Monitoring"
    ENGINE = "engine", "Plantão"


class Action(models.TextChoices):
    """What a person can do to an incident (incidents.services.acts.incident_act)."""

    ACKNOWLEDGE = "acknowledge", "Acknowledge"
    RESOLVE = "resolve", "Resolve"
    ESCALATE = "escalate", "Escalate now"
    REASSIGN = "reassign", "Reassign"
    SNOOZE = "snooze", "Snooze"
    NOTE = "note", "Add note"
    ADD_RESPONDER = "add_responder", "Add responder"
