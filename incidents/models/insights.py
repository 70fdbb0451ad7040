"""The insights rollup: counts per service and 15-minute bucket (UTC) or day, derived from the
record.

Rows are written only for buckets that are closed (older than the watermark, where nothing can
change any more); the insights read them before the watermark and the raw rows after it, so
their figures are exact. The record stays incidents, alerts and pages: `manage.py insights
rebuild` derives these tables again from it. Fifteen-minute buckets because every time zone's
offset is a multiple of 15 minutes: a bucket falls in one local hour, in any zone.
"""

from django.db import models

from oncall.models import Person

from .services import Service


class IncidentBucket(models.Model):
    """Incidents opened in a 15-minute bucket, per service (for the incidents by week)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    incidents = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["service", "start"], name="incident_bucket_start")]

    def __str__(self):
        return f"{self.incidents} incidents at {self.start:%Y-%m-%d %H:%M}"


class NoiseDay(models.Model):
    """Per service, UTC day and alert name: incidents opened, alerts received, and incidents
    resolved within 5 minutes by monitoring without anyone acknowledging them (the noisy alerts;
    by day, not by bucket: an alert name rarely repeats within 15 minutes, so buckets would
    hold as many rows as there are incidents)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    day = models.DateTimeField(help_text="The day's start, 00:00 UTC.")
    alert_name = models.CharField(max_length=255)
    incidents = models.PositiveIntegerField(default=0)
    quiet = models.PositiveIntegerField(default=0)
    alerts = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["service", "day"], name="noise_day_service")]

    def __str__(self):
        return f"{self.alert_name} on {self.day:%Y-%m-%d}"


class PageBucket(models.Model):
    """Pages sent in a bucket, per service, person and interruption class."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    interruption = models.CharField(max_length=8, blank=True)
    pages = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["service", "start"], name="page_bucket_start")]

    def __str__(self):
        return f"{self.pages} pages at {self.start:%Y-%m-%d %H:%M}"


class RollupWatermark(models.Model):
    """One row: the rollup holds every closed bucket before `until`, every day before
    `days_until`."""

    until = models.DateTimeField(null=True, blank=True)
    days_until = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"rolled up until {self.until}"
