"""Incidents, the alerts that opened or touched them, and their timelines."""

from django.db import models

from oncall.models import Person

from .choices import Severity, Source, Urgency
from .integrations import Integration
from .services import Service


class Incident(models.Model):
    class Status(models.TextChoices):
        TRIGGERED = "triggered", "Triggered"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"

    class Kind(models.TextChoices):
        REAL = "real", "Real"
        # Opened by a rehearsal (manage.py rehearse): pages go to the rehearsal channel.
        REHEARSAL = "rehearsal", "Rehearsal"
        # A test page to one person before an event: real channels, no escalation.
        TEST = "test", "Test page"

    OPEN = (Status.TRIGGERED, Status.ACKNOWLEDGED)

    # Indexes, and what each new incident costs to write: the service's lookups go through the
    # indexes that start with it (Meta), and the people below are indexed only where set.
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="incidents", db_index=False
    )
    dedup_key = models.CharField(max_length=255)
    title = models.CharField(max_length=1024)
    # What the insights group noise by: the alertname label, else the title (incidents.insights).
    alert_name = models.CharField(max_length=255, blank=True)
    details = models.JSONField(default=dict, blank=True)
    source_url = models.URLField(max_length=1000, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.ERROR)
    urgency = models.CharField(max_length=4, choices=Urgency.choices, default=Urgency.HIGH)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.TRIGGERED)
    # Only real incidents count in insights, fatigue, rest protection and past load.
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.REAL)
    created_at = models.DateTimeField()
    # When its first page left for its channel: alert to first page, for /metrics and rehearsals.
    first_paged_at = models.DateTimeField(null=True, blank=True, editable=False)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    # Through what the acknowledgement came (a Source), for the insights by channel.
    ack_source = models.CharField(max_length=12, choices=Source.choices, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    assignee = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_incidents",
        db_index=False,
    )
    # The escalation policy as it was when the incident triggered (incidents.escalation).
    policy_snapshot = models.JSONField(null=True, blank=True)
    # Where the escalation stands and when it must move next; the sweep reads these.
    esc_step = models.PositiveSmallIntegerField(default=0)
    esc_loop = models.PositiveIntegerField(default=0)
    esc_pass = models.PositiveSmallIntegerField(default=0)
    esc_due_at = models.DateTimeField(null=True, blank=True)
    esc_rung_for = models.DateTimeField(null=True, blank=True, editable=False)
    esc_rung_at = models.DateTimeField(null=True, blank=True, editable=False)
    ack_timeout_at = models.DateTimeField(null=True, blank=True)
    auto_resolve_at = models.DateTimeField(null=True, blank=True)
    # The incident's post in its service's Slack channel, to update it (incidents.services.
    # slack_channel); slack_ts is "-" while the post is on its way or of unknown outcome.
    slack_channel = models.CharField(max_length=32, blank=True, editable=False)
    slack_ts = models.CharField(max_length=32, blank=True, editable=False)

    class Meta:
        ordering = ["-id"]
        constraints = [
            # Dedup is the database's job: one open incident per service and key, whatever races.
            models.UniqueConstraint(
                fields=["service", "dedup_key"],
                condition=models.Q(status__in=["triggered", "acknowledged"]),
                name="incident_one_open_per_dedup_key",
            )
        ]
        indexes = [
            models.Index(
                fields=["esc_due_at"],
                name="incident_escalation_due",
                condition=models.Q(status="triggered", esc_due_at__isnull=False),
            ),
            models.Index(
                fields=["ack_timeout_at"],
                name="incident_ack_timeout",
                condition=models.Q(status="acknowledged", ack_timeout_at__isnull=False),
            ),
            models.Index(
                fields=["auto_resolve_at"],
                name="incident_auto_resolve",
                condition=models.Q(
                    status__in=["triggered", "acknowledged"], auto_resolve_at__isnull=False
                ),
            ),
            models.Index(fields=["status", "-created_at"], name="incident_status_created"),
            # The API's list: ?status=… newest first (ORDER BY id DESC LIMIT n), with no sort.
            models.Index(fields=["status", "-id"], name="incident_status_id"),
            models.Index(fields=["service", "dedup_key"], name="incident_service_dedup"),
            # A person's incidents, and setting them to NULL when a person is deleted; a new
            # incident has none of them, so it adds nothing to these.
            *(
                models.Index(
                    fields=[field],
                    name=f"incident_{field}",
                    condition=models.Q(**{f"{field}__isnull": False}),
                )
                for field in ("acknowledged_by", "resolved_by", "assignee")
            ),
            # The insights' scan of a period (incidents.insights.queries); PostgreSQL reads it
            # alone, without the table.
            models.Index(
                fields=["service", "created_at"],
                name="incident_service_created",
                include=[
                    "acknowledged_at",
                    "resolved_at",
                    "ack_source",
                    "alert_name",
                    "resolved_by",
                ],
            ),
        ]

    def __str__(self):
        return f"#{self.number} {self.title}"

    @property
    def number(self) -> int:
        """Return the number people say (#42): one organisation per installation, so the id."""
        return self.pk

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


class Alert(models.Model):
    """One event received from monitoring, and the incident it opened or touched."""

    class Action(models.TextChoices):
        TRIGGER = "trigger", "Trigger"
        ACKNOWLEDGE = "acknowledge", "Acknowledge"
        RESOLVE = "resolve", "Resolve"

    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.CASCADE, related_name="alerts"
    )
    integration = models.ForeignKey(
        Integration, null=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    action = models.CharField(max_length=12, choices=Action.choices)
    dedup_key = models.CharField(max_length=255)
    title = models.CharField(max_length=1024, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["-received_at", "-id"]
        # The insights count the alerts received in a period's edges (incidents.insights).
        indexes = [models.Index(fields=["received_at"], name="alert_received_at")]

    def __str__(self):
        return f"{self.action} {self.dedup_key}"


class Responder(models.Model):
    """Someone asked to help with an incident besides whoever the policy pages."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="responders")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    added_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField()
    loop = models.PositiveIntegerField(help_text="The page loop number used for this request.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["incident", "person"], name="responder_once")
        ]

    def __str__(self):
        return f"{self.person} on #{self.incident.number}"


class TimelineEntry(models.Model):
    """One thing that happened to an incident, by whom and through what."""

    class Kind(models.TextChoices):
        TRIGGERED = "triggered", "Triggered"
        ALERT = "alert", "Alert received"
        ESCALATED = "escalated", "Escalated"
        PAGED = "paged", "Paged"
        PAGE_SENT = "page_sent", "Page sent"
        PAGE_FAILED = "page_failed", "Page failed"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        UNACKNOWLEDGED = "unacknowledged", "Re-triggered"
        SNOOZED = "snoozed", "Snoozed"
        RESOLVED = "resolved", "Resolved"
        REASSIGNED = "reassigned", "Reassigned"
        RESPONDER_ADDED = "responder_added", "Responder added"
        NOTE = "note", "Note"
        HELD = "held", "Paging held"
        NOBODY = "nobody", "Nobody to page"

    # Looked up by incident through timeline_incident_at; an actor only where there is one.
    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="timeline", db_index=False
    )
    at = models.DateTimeField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.ENGINE)
    actor = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    message = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name_plural = "timeline entries"
        indexes = [
            models.Index(fields=["incident", "at"], name="timeline_incident_at"),
            models.Index(
                fields=["actor"], name="timeline_actor", condition=models.Q(actor__isnull=False)
            ),
        ]

    def __str__(self):
        return f"#{self.incident.number} {self.kind} at {self.at:%Y-%m-%d %H:%M:%S}"
