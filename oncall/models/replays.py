"""Signed requests already acted on, so that a replay of one (the same Twilio MessageSid, the
same Slack signature) is recognised and changes nothing."""

from django.db import models


class SignedRequest(models.Model):
    """One signed request taken: its source and a digest of what identifies it, until when a
    replay of it could still be accepted (after that, the row may be purged)."""

    class Source(models.TextChoices):
        TWILIO_SMS = "twilio-sms", "Twilio SMS (MessageSid)"
        SLACK = "slack", "Slack (request signature)"

    source = models.CharField(max_length=16, choices=Source.choices)
    # SHA-256 hex of the identity: a fixed size, whatever the request carried.
    key = models.CharField(max_length=64)
    taken_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "key"], name="signed_request_once")
        ]

    def __str__(self):
        return f"{self.get_source_display()} {self.key[:12]}… taken at {self.taken_at}"
