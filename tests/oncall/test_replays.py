"""Signed requests taken once, and forgotten when no replay could match them any more."""

from datetime import UTC, datetime, timedelta

import pytest

from oncall import replays, tasks
from oncall.config import beat
from oncall.models import SignedRequest

T0 = datetime(2027, 1, 13, 10, 0, tzinfo=UTC)
SID = "SM" + "f" * 32
SIGNATURE = "v0=" + "a" * 64


@pytest.mark.django_db
def test_a_message_or_a_signature_is_taken_once():
    assert replays.twilio_message_take(message_sid=SID, now=T0)
    assert not replays.twilio_message_take(message_sid=SID, now=T0 + timedelta(days=1))
    stamp = int(T0.timestamp())
    assert replays.slack_request_take(signature=SIGNATURE, timestamp=stamp, now=T0)
    assert not replays.slack_request_take(signature=SIGNATURE, timestamp=stamp, now=T0)
    # The same value from the other source is another request.
    assert replays.slack_request_take(signature=SID, timestamp=stamp, now=T0)


@pytest.mark.django_db
def test_the_purge_forgets_only_what_can_no_longer_be_replayed(settings, frozen_now):
    replays.twilio_message_take(message_sid=SID, now=T0)
    replays.slack_request_take(signature=SIGNATURE, timestamp=int(T0.timestamp()), now=T0)
    # Slack refuses a request signed more than 300 s ago: its signature goes after that.
    assert replays.signed_requests_purge(now=T0 + timedelta(seconds=300)) == 0
    assert replays.signed_requests_purge(now=T0 + timedelta(minutes=10)) == 1
    # A MessageSid is kept for more than a day (Twilio's requests carry no time).
    frozen_now(T0 + timedelta(days=1))
    tasks.signed_requests_purge()  # what the scheduler runs
    assert SignedRequest.objects.get().source == SignedRequest.Source.TWILIO_SMS
    assert not replays.twilio_message_take(message_sid=SID, now=T0 + timedelta(days=1))
    assert replays.signed_requests_purge(now=T0 + replays.TWILIO_MESSAGE_KEPT + timedelta(1)) == 1


def test_the_scheduler_runs_the_purge():
    (entry,) = [e for e in beat.SCHEDULE.values() if e["task"].endswith("signed_requests_purge")]
    assert entry["task"] == tasks.signed_requests_purge.name
