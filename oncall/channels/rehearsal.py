"""The rehearsal channel: pages of rehearsal incidents go here, and reach no one.

It keeps the real provider's pacing (one SMS segment a second per sending number, the account's
calls a second, about a message a second to Slack) under senders of its own ("rehearsal:..."),
so a rehearsal measures the queueing a storm would meet without taking a real page's place.
Each send is a RehearsalSend row: the provider's record, looked up when an outcome is unknown.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import IntegrityError, transaction

from oncall import clock
from oncall.channels.base import Channel, Message, Pace, SendResult
from oncall.channels.gsm import sms_segments
from oncall.models import RehearsalSend

SLACK_SECONDS = 1.0  # Slack's chat.postMessage: about one message a second per channel


class RehearsalChannel(Channel):
    """Record a page of `kind` as sent, paced as the real provider would pace it."""

    name = "rehearsal"

    def __init__(self, kind: str):
        self.kind = kind

    def pace(self, message: Message) -> Pace | None:
        """Return the real provider's cost of `message`, under the rehearsal's own sender."""
        if message.kind == "sms":
            per_second = settings.TWILIO_SMS_SEGMENTS_PER_SECOND
            number = settings.TWILIO_FROM_NUMBER or "default"
            if not per_second:
                return None
            return Pace(f"rehearsal:sms:{number}", sms_segments(message.body) / per_second)
        if message.kind == "voice":
            per_second = settings.TWILIO_CALLS_PER_SECOND
            account = settings.TWILIO_ACCOUNT_SID or "default"
            return Pace(f"rehearsal:voice:{account}", 1 / per_second) if per_second else None
        if message.kind == "slack":
            return Pace("rehearsal:slack", SLACK_SECONDS)
        return None

    def send(self, message: Message) -> SendResult:
        """Record `message` as sent (once per reference); return its provider id."""
        provider_id = f"rehearsal-{uuid.uuid4().hex}"
        try:
            with transaction.atomic():
                RehearsalSend.objects.create(
                    reference=message.reference[:100],
                    kind=message.kind,
                    address=message.address[:255],
                    also=list(message.also),
                    provider_id=provider_id,
                    sent_at=clock.now(),
                )
        except IntegrityError:  # sent before (a retried send): the provider's first record holds
            return self.lookup(message.reference)
        return SendResult(provider_id=provider_id, status="sent")

    def lookup(self, reference: str, **context) -> SendResult | None:
        """Return the recorded send carrying `reference` (alone or bundled), None if none."""
        found = RehearsalSend.objects.filter(reference=reference[:100]).first()
        if found is None:
            found = _carrying(reference)
        return SendResult(provider_id=found.provider_id, status="sent") if found else None


def _carrying(reference: str) -> RehearsalSend | None:
    # A bundled page is named in its carrier's `also`; JSON containment is not on every
    # backend, so match the text and confirm in Python.
    for send in RehearsalSend.objects.filter(also__icontains=f'"{reference}"'):
        if reference in send.also:
            return send
    return None
