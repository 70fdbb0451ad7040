"""A fair rota proposal for a schedule: asked for, solved (seconds, by a worker), then applied."""

from django.conf import settings
from django.db import models

from oncall.models import Schedule


class RotaProposal(models.Model):
    """What was asked (`options`: weeks, start, coverage, rules) and, once solved, the answer
    (`result`: shifts, fairness report, uncovered hours, rules held, solver figures)."""

    class Status(models.TextChoices):
        SOLVING = "solving"
        PROPOSED = "proposed"
        APPLIED = "applied"
        FAILED = "failed"

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.SOLVING)
    since = models.DateTimeField()
    until = models.DateTimeField()
    options = models.JSONField(default=dict, blank=True)
    # The answer is big and derived: the audit log records the status moving, not the answer.
    result = models.JSONField(null=True, blank=True, editable=False)
    error = models.CharField(max_length=500, blank=True)
    # Solving: the worker that claimed it holds it until `lease_until` (its time limit and a
    # margin); the sweep rings again for one whose ring was lost or whose worker died.
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    solved_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["schedule", "-created_at"], name="rota_proposal_recent")]

    def __str__(self):
        return f"{self.schedule} proposal {self.since:%Y-%m-%d}, {self.status}"
