"""Integrations: the secret endpoints monitoring tools send alerts to."""

import hashlib

from django.db import models

from .services import Service


def token_digest(token: str) -> str:
    """Return the stored form of an integration token: its SHA-256, never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


class Integration(models.Model):
    class Kind(models.TextChoices):
        ALERTMANAGER = "alertmanager", "Prometheus Alertmanager"
        GRAFANA = "grafana", "Grafana Alerting"
        WEBHOOK = "webhook", "Generic JSON webhook"
        PAGERDUTY = "pagerduty", "PagerDuty Events API v2"
        HEARTBEAT = "heartbeat", "Heartbeat"

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="integrations")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    name = models.CharField(max_length=100, blank=True)
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    token_hint = models.CharField(max_length=8, editable=False)
    # During a rotation the old token keeps working until previous_valid_until.
    previous_token_digest = models.CharField(
        max_length=64, null=True, blank=True, unique=True, editable=False
    )
    previous_valid_until = models.DateTimeField(null=True, blank=True, editable=False)
    rate_limit_per_second = models.PositiveIntegerField(
        default=5000, help_text="Requests a second before answering 429."
    )
    heartbeat_interval_seconds = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Heartbeats: open an incident when no ping comes this long.",
    )
    heartbeat_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_seen_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["service", "kind", "id"]
        indexes = [
            models.Index(
                fields=["heartbeat_due_at"],
                name="integration_heartbeat_due",
                condition=models.Q(heartbeat_due_at__isnull=False),
            )
        ]

    def __str__(self):
        return f"{self.service} {self.get_kind_display()} ({self.token_hint}…)"
