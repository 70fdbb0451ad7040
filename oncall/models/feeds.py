"""Secret, revocable calendar feed links (the token is shown once and stored hashed)."""

import hashlib

from django.conf import settings
from django.db import models

from .people import Person
from .schedules import Schedule


def token_digest(token: str) -> str:
    """Return the stored form of a feed token: its SHA-256, so the database never holds it."""
    return hashlib.sha256(token.encode()).hexdigest()


class CalendarFeed(models.Model):
    """An iCal link to one schedule's shifts or one person's shifts across all schedules."""

    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(
        max_length=8, editable=False, help_text="First characters, to tell links apart."
    )
    schedule = models.ForeignKey(
        Schedule, null=True, blank=True, on_delete=models.CASCADE, related_name="feeds"
    )
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="feeds"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(schedule__isnull=False, person__isnull=True)
                | models.Q(schedule__isnull=True, person__isnull=False),
                name="calendar_feed_one_subject",
            )
        ]

    def __str__(self):
        return f"Calendar feed {self.hint}… for {self.schedule or self.person}"
