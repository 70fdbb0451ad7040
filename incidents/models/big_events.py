"""Big events (a final, a season premiere, Black Friday): a window on the team's calendar with
extra responders, a shorter acknowledgement timeout, and a readiness checklist."""

from django.conf import settings
from django.db import models

from oncall.models import Person, Schedule, Team

from .incidents import Incident
from .services import Service


class Event(models.Model):
    """For [starts_at, ends_at), incidents of `services` also page `extra_people` and whoever is
    on call in `extra_schedules` with their policy's first step, and an acknowledged incident
    re-triggers after `ack_timeout_minutes` (when set, lower than the service's own)."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="events")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    services = models.ManyToManyField(Service, blank=True, related_name="events")
    extra_people = models.ManyToManyField(Person, blank=True, related_name="+")
    extra_schedules = models.ManyToManyField(Schedule, blank=True, related_name="+")
    ack_timeout_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="During the event, re-trigger an acknowledged incident after this long.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="event_ends_after_start"
            )
        ]
        indexes = [models.Index(fields=["team", "ends_at"], name="event_team_ends")]

    def __str__(self):
        return f"{self.name} ({self.starts_at:%Y-%m-%d %H:%M})"


class TestPage(models.Model):
    """A test page to one person on call during an event: an incident of kind "test" paged to
    them alone through their own rules and real channels; acknowledging it (any way an incident
    is acknowledged) confirms their phone rings."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="test_pages")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="test_page")
    sent_at = models.DateTimeField()
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-sent_at", "-id"]
        indexes = [models.Index(fields=["event", "person", "-sent_at"], name="test_page_recent")]

    def __str__(self):
        return f"test page to {self.person} for {self.event}"
