"""Proof that the paging pipeline (scheduler -> broker -> worker -> database) is moving."""

from django.db import models


class Heartbeat(models.Model):
    """The last time a periodic task, sent by the scheduler, ran on a worker."""

    name = models.CharField(max_length=50, primary_key=True)
    seen_at = models.DateTimeField()
    worker = models.CharField(max_length=200, blank=True)

    def __str__(self):
        return f"{self.name} at {self.seen_at:%Y-%m-%d %H:%M:%S}"
