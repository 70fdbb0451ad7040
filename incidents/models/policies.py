"""Escalation policies: who is paged, in what order, and how long each step waits."""

from django.core.exceptions import ValidationError
from django.db import models

from oncall.models import Person, Schedule, Team


class EscalationPolicy(models.Model):
    name = models.CharField(max_length=100, unique=True)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="escalation_policies")
    repeat = models.PositiveSmallIntegerField(
        default=0, help_text="How many more times to run the steps when nobody acknowledges."
    )
    description = models.TextField(blank=True)
    # Bumped by every change to the policy, its steps and targets (incidents/signals.py), so the
    # engine may reuse its snapshot while the version stands.
    version = models.PositiveBigIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "escalation policies"

    def __str__(self):
        return self.name


class EscalationStep(models.Model):
    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    escalate_after_minutes = models.PositiveSmallIntegerField(
        default=5, help_text="Minutes after this step pages before the next step (or a repeat)."
    )

    class Meta:
        ordering = ["policy", "position"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "position"], name="escalation_step_unique")
        ]

    def __str__(self):
        return f"{self.policy} step {self.position + 1}"


class EscalationTarget(models.Model):
    class Kind(models.TextChoices):
        PERSON = "person", "A person"
        SCHEDULE = "schedule", "Whoever is on call for a schedule"
        TEAM_ALL = "team_all", "Everyone in a team at once"
        TEAM_ROUND_ROBIN = "team_round_robin", "One person of a team, in turn"

    step = models.ForeignKey(EscalationStep, on_delete=models.CASCADE, related_name="targets")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # RESTRICT: a person, schedule or team a policy pages is not deleted from under it (the
    # admin shows what still pages them), unless the policy goes in the same deletion.
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.RESTRICT)
    schedule = models.ForeignKey(Schedule, null=True, blank=True, on_delete=models.RESTRICT)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.RESTRICT)

    class Meta:
        ordering = ["step", "id"]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.subject}"

    @property
    def subject(self):
        return {"person": self.person, "schedule": self.schedule}.get(self.kind, self.team)

    @property
    def subject_id(self) -> int | None:
        return {
            "person": self.person_id,
            "schedule": self.schedule_id,
        }.get(self.kind, self.team_id)

    def clean(self):
        wanted = {"person": "person", "schedule": "schedule"}.get(self.kind, "team")
        given = {
            name
            for name in ("person", "schedule", "team")
            if getattr(self, f"{name}_id") is not None
        }
        if given != {wanted}:
            raise ValidationError({wanted: f"A {self.kind} target names exactly one {wanted}."})
