"""The insights rollup: counts per service and 15-minute bucket (UTC) or day, derived from the
record.

Rows are written only for buckets that are closed (older than the watermark, where nothing can
change any more); the insights read them before the watermark and the raw rows after it, so
their figures are exact. The record stays incidents, alerts and pages: `manage.py insights
rebuild` derives these tables again from it. Fifteen-minute buckets because every time zone's
offset is a multiple of 15 minutes: a bucket falls in one local hour, in any zone.
"""

from django.db import models

from .services import Service


class InsightBucket(models.Model):
    """Per service and 15-minute bucket: the incidents opened, and the pages sent by the
    interruption class of each (for incidents and pages by week, pages by hour of day and by
    interruption, in one scan)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    incidents = models.PositiveIntegerField(default=0)
    pages = models.PositiveIntegerField(default=0)
    sleep = models.PositiveIntegerField(default=0)
    off = models.PositiveIntegerField(default=0)
    business = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["service", "start"], name="insight_bucket_start")]

    def __str__(self):
        return f"{self.incidents} incidents, {self.pages} pages at {self.start:%Y-%m-%d %H:%M}"


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


class RollupWatermark(models.Model):
    """One row: the rollup holds every closed bucket before `until`, every day before
    `days_until`."""

    until = models.DateTimeField(null=True, blank=True)
    days_until = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"rolled up until {self.until}"
