"""Services: what the team runs and is paged for, and their maintenance windows."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from oncall.models import Team

from .choices import Urgency
from .policies import EscalationPolicy


class Service(models.Model):
    """Something the team runs and is paged for, such as the CDN or playback."""

    class UrgencyRule(models.TextChoices):
        HIGH = "high", "Always high urgency"
        LOW = "low", "Always low urgency"
        SEVERITY = "severity", "High for critical and error, low for warning and info"

    name = models.SlugField(max_length=100, unique=True)
    description = models.CharField(max_length=200, blank=True)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="services")
    escalation_policy = models.ForeignKey(
        EscalationPolicy,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="services",
    )
    urgency_rule = models.CharField(
        max_length=10, choices=UrgencyRule.choices, default=UrgencyRule.SEVERITY
    )
    ack_timeout_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="Re-trigger an acknowledged incident after this long."
    )
    auto_resolve_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="Resolve an incident nobody resolved after this long."
    )
    slack_channel = models.CharField(
        max_length=32,
        blank=True,
        help_text="Slack channel id (C0123ABCD) where each incident is posted with its buttons "
        "when its first step fires, and updated when acknowledged or resolved. Invite the app.",
    )
    # A rehearsal service is the twin of a real one (same team and policy): what a rehearsal
    # drives alerts into; its incidents are of kind "rehearsal" and reach no one.
    rehearsal_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="rehearsal_twins"
    )
    # A service deleted while incidents name it is archived instead, keeping their history: no
    # integration, no policy, no new incident (incidents.services.service_admin).
    archived_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def urgency_for(self, severity: str) -> str:
        """Return the urgency of an incident of `severity` on this service."""
        if self.urgency_rule == self.UrgencyRule.SEVERITY:
            return Urgency.HIGH if severity in ("critical", "error") else Urgency.LOW
        return self.urgency_rule


class MaintenanceWindow(models.Model):
    """While a window is open, incidents are recorded but nobody is paged for them."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="maintenance")
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["service", "start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="maintenance_ends_after_start"
            )
        ]

    def __str__(self):
        return f"{self.service} maintenance {self.start:%Y-%m-%d %H:%M}"

    def clean(self):
        if self.start and self.end and self.end <= self.start:
            raise ValidationError({"end": "A maintenance window must end after it starts."})
