"""Asking for cover: someone asks teammates to take (part of) their shift; the first to take it
gets an override. A trade names a shift of one teammate that the asker covers in return."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from .people import Person
from .schedules import Override, Schedule

# An open request starting this soon is a coming gap the manager should see.
GAP_AHEAD = timedelta(hours=48)


class CoverRequest(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        TAKEN = "taken", "Taken"
        WITHDRAWN = "withdrawn", "Withdrawn"

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="cover_requests")
    asker = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="cover_asked")
    start = models.DateTimeField()
    end = models.DateTimeField()
    note = models.CharField(max_length=300, blank=True)
    # A trade: `trade_with` takes the asker's span, and the asker covers theirs in return.
    trade_with = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="cover_trades"
    )
    trade_start = models.DateTimeField(null=True, blank=True)
    trade_end = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    taken_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="cover_taken"
    )
    taken_at = models.DateTimeField(null=True, blank=True)
    override = models.ForeignKey(
        Override, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    return_override = models.ForeignKey(
        Override, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Opened for the person's time off: withdrawn while still open when the time off goes.
    time_off = models.ForeignKey(
        "oncall.TimeOff",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cover_requests",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start", "id"]
        indexes = [models.Index(fields=["schedule", "status", "start"], name="cover_open_by_start")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="cover_ends_after_start"
            )
        ]

    def __str__(self):
        return f"Cover for {self.asker} on {self.schedule} {self.start:%Y-%m-%d %H:%M}"

    @property
    def is_trade(self) -> bool:
        return self.trade_with_id is not None

    def clean(self):
        if self.start and self.end and self.end <= self.start:
            raise ValidationError({"end": "End must be after Start."})
