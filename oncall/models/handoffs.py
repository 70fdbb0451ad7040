"""Handoff summaries posted to a team's Slack channel: at most one per schedule and handoff,
whoever posts it."""

from django.db import models

from .people import Person
from .schedules import Schedule


class HandoffSummary(models.Model):
    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(help_text="When the on-call person of the schedule changed.")
    # Who handed over to whom; None is a gap (nobody on call).
    outgoing = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    incoming = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(max_length=32)
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "schedule"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "at"], name="handoff_summary_once")
        ]
        verbose_name_plural = "handoff summaries"

    def __str__(self):
        return f"Handoff on {self.schedule} at {self.at:%Y-%m-%d %H:%M} UTC"
