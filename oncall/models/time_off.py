"""A person's own absences: no shift should fall inside them."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from .people import Person


class TimeOff(models.Model):
    """`person` is away from `start` to `end` ([start, end), timezone-aware)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="time_off")
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["person", "start", "id"]
        verbose_name_plural = "time off"
        indexes = [models.Index(fields=["person", "end"], name="time_off_person_end")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="time_off_ends_after_start"
            )
        ]

    def __str__(self):
        return f"{self.person} away {self.start:%Y-%m-%d %H:%M} to {self.end:%Y-%m-%d %H:%M}"

    def clean(self):
        if self.start and self.end and self.end <= self.start:
            raise ValidationError({"end": "End must be after Start."})
