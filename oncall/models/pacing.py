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


class RehearsalTurn(models.Model):
    """A contact method's turns as a rehearsal sees them (its one text a minute, three calls in
    15 minutes): kept apart from ContactMethod's own, so a rehearsal never delays or bundles a
    real page."""

    contact_method = models.OneToOneField(
        "oncall.ContactMethod", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    quiet_until = models.DateTimeField(null=True, blank=True)
    calls_at = models.CharField(max_length=120, blank=True, default="")

    def __str__(self):
        return f"rehearsal turns of {self.contact_method_id}"


class RehearsalSend(models.Model):
    """What the rehearsal channel 'sent': it reaches no one, and this row is its provider's
    record (looked up by reference when a send's outcome is unknown)."""

    reference = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=8)
    address = models.CharField(max_length=255)
    # The references of the other pages a bundled text or call carried.
    also = models.JSONField(default=list, blank=True)
    provider_id = models.CharField(max_length=64)
    sent_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["sent_at"], name="rehearsal_send_at")]

    def __str__(self):
        return f"rehearsal {self.kind} to {self.address} at {self.sent_at:%H:%M:%S}"
