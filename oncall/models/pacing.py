"""How far ahead each sending number's (or account's) provider limit is already spoken for."""

from django.db import models


class SendPace(models.Model):
    """A sender, say Twilio's one SMS segment a second per number: when it is next free.

    Each send reserves its share of the sender's time from here on (oncall/pacing.py), so
    texts queue behind one another rather than exceed the provider's limit and be dropped.
    """

    sender = models.CharField(max_length=100, primary_key=True)
    free_at = models.DateTimeField()
    # When the last send actually left, plus its cost: the next may not leave before.
    departs_after = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.sender} free at {self.free_at:%Y-%m-%d %H:%M:%S.%f}"
