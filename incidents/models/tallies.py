"""Counters for /metrics that any web process can answer: each process adds to its own rows, the
scrape sums them all."""

from django.db import models


class Tally(models.Model):
    """A cumulative count kept by one process: `metric` (ingest requests, alert-to-first-page
    seconds), `label` (an outcome, a histogram bucket's upper bound), `count`, and for a
    histogram the `total` of what was observed."""

    metric = models.CharField(max_length=50)
    label = models.CharField(max_length=50, blank=True)
    process = models.CharField(max_length=100)
    count = models.BigIntegerField(default=0)
    total = models.FloatField(default=0.0)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "label", "process"], name="tally_one_per_process"
            )
        ]

    def __str__(self):
        return f"{self.metric}{{{self.label}}} {self.count} ({self.process})"
