"""On-call notices sent: at most one per schedule, person, shift and kind, whoever sends it."""

from django.db import models

from .people import Person
from .schedules import Schedule


class ShiftNotice(models.Model):
    class Kind(models.TextChoices):
        STARTING = "starting", "On call soon"
        ENDED = "ended", "Shift ended"

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="shift_notices")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    shift_start = models.DateTimeField()
    shift_end = models.DateTimeField()
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "person", "kind", "shift_start"], name="shift_notice_once"
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.person} on {self.schedule}"
