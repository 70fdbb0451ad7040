"""Each signed request acts once: a replayed or retried one is recognised and does nothing.

Twilio signs an SMS webhook without a timestamp, so a captured one stays valid until the auth
token changes; its MessageSid is what makes it unique (and the signature covers it: it cannot be
stripped). Slack signs a timestamp, and requests older than five minutes are refused anyway, so
its signature need only be remembered for that window. A request is taken with an INSERT that
the unique constraint arbitrates, never by reading first, so of two racing copies one acts.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction

from oncall.channels.slack import MAX_REQUEST_AGE_SECONDS
from oncall.models import SignedRequest

# A reply such as "4" acts on whatever is open when it arrives, however old the message is: keep
# its MessageSid far beyond Twilio's own retries (minutes). Rotating the auth token ends older
# captured requests for good.
TWILIO_MESSAGE_KEPT = timedelta(days=30)
# A Slack request is accepted until 300 s after its signed timestamp; the margin covers a
# clock that steps back.
SLACK_SIGNATURE_KEPT = timedelta(seconds=MAX_REQUEST_AGE_SECONDS + 60)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def signed_request_take(*, source: str, key: str, expires_at: datetime, now: datetime) -> bool:
    """Take the signed request `key` of `source`; return False if it was taken before.

    Call it inside the transaction of what the request does: should that fail and roll back,
    the request is free again for the sender's retry.
    """
    try:
        with transaction.atomic():
            SignedRequest.objects.create(
                source=source, key=_digest(key), taken_at=now, expires_at=expires_at
            )
    except IntegrityError:
        return False
    return True


def twilio_message_take(*, message_sid: str, now: datetime) -> bool:
    """Take the inbound SMS `message_sid`; return False if it was handled before."""
    return signed_request_take(
        source=SignedRequest.Source.TWILIO_SMS,
        key=message_sid,
        expires_at=now + TWILIO_MESSAGE_KEPT,
        now=now,
    )


def slack_request_take(*, signature: str, timestamp: int, now: datetime) -> bool:
    """Take the Slack request signed `signature` at `timestamp` (Unix seconds, already checked
    fresh); return False if it was handled before."""
    signed_at = datetime.fromtimestamp(timestamp, UTC)
    return signed_request_take(
        source=SignedRequest.Source.SLACK,
        key=signature,
        expires_at=signed_at + SLACK_SIGNATURE_KEPT,
        now=now,
    )


def signed_requests_purge(*, now: datetime) -> int:
    """Delete the signed requests no replay could still match; return how many."""
    deleted, _ = SignedRequest.objects.filter(expires_at__lt=now).delete()
    return deleted
