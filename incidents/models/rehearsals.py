"""Rehearsals of the paging path: a storm driven through the real ingest into a rehearsal
service, whose incidents page the real people's rules through a rehearsal channel."""

from django.conf import settings
from django.db import models

from .services import Service


class Rehearsal(models.Model):
    """One run of `manage.py rehearse`: what was asked, and the report the command measured.

    `service` is the rehearsal twin of a real service (Service.rehearsal_of): the same team and
    escalation policy, its own integration, and incidents of kind "rehearsal".
    """

    class Shape(models.TextChoices):
        STEADY = "steady"
        RAMP = "ramp"
        STORM = "storm"  # 95 % duplicates
        ALERTMANAGER = "alertmanager"  # batches, as Alertmanager groups them

    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="rehearsals")
    shape = models.CharField(max_length=12, choices=Shape.choices, default=Shape.STEADY)
    alerts = models.PositiveIntegerField()
    rate = models.PositiveIntegerField(help_text="Alerts a second asked for.")
    follow = models.BooleanField(default=False, help_text="Wait for later escalation steps too.")
    thresholds = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    # What the command measured and wrote as JSON; None until it reports back.
    report = models.JSONField(null=True, blank=True, editable=False)
    # Whether every threshold held (None: not reported yet).
    passed = models.BooleanField(null=True, blank=True)
    # When its incidents were removed (unless --keep).
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["service", "-started_at"], name="rehearsal_recent")]

    def __str__(self):
        return f"rehearsal {self.pk} of {self.service} ({self.shape}, {self.alerts} alerts)"
