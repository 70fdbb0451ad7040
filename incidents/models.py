"""The upper layer: what is being watched and what happens when it breaks."""

from django.db import models

from oncall.models import Team


class Service(models.Model):
    """Something the team runs and is paged for, such as the CDN or playback."""

    name = models.SlugField(max_length=100, unique=True)
    description = models.CharField(max_length=200, blank=True)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="services")

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name
