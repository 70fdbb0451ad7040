"""Provider throughput: what a text costs in segments, and the queue of instants each sender's
sends take, shared by every worker."""

from datetime import UTC, datetime, timedelta

import pytest

from oncall import clock, services
from oncall.channels.base import Message, Pace
from oncall.channels.gsm import sms_segments
from oncall.channels.twilio import TwilioSMSChannel, TwilioVoiceChannel
from oncall.pacing import pace_depart, pace_reserve, paced_send
from oncall.verification import verification_start
from tests.fakes.providers import FakeProviders
from tests.incidents.test_chaos import concurrently

T0 = datetime(2027, 1, 13, 10, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


@pytest.mark.parametrize(
    ("text", "segments"),
    [
        ("", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("€" * 80, 1),  # an extension character takes two of the 160
        ("€" * 81, 2),
        ("ã" * 70, 1),  # not GSM-7: the whole text is UCS-2, 70 to a segment
        ("ã" * 71, 2),
        ("a" * 100 + "🔥", 2),  # an emoji is two UTF-16 units, and makes it UCS-2
    ],
)
def test_a_text_is_counted_in_segments_as_carriers_count_it(text, segments):
    assert sms_segments(text) == segments


def channels(per_second):
    fields = dict(account_sid="AC1", auth_token="t", from_number="+15005550006", public_url="x")
    return (
        TwilioSMSChannel(per_second=per_second, **fields),
        TwilioVoiceChannel(per_second=per_second, **fields),
    )


def test_a_text_costs_its_segments_of_the_number_and_a_call_its_share_of_the_account():
    sms, voice = channels(per_second=1)
    long = Message("page-1", "sms", "+12125550101", "s", "a" * 320)
    assert sms.pace(long) == Pace("twilio-sms:+15005550006", 3.0)
    assert voice.pace(long) == Pace("twilio-calls:AC1", 1.0)
    assert channels(per_second=3)[0].pace(long).seconds == 1.0
    assert channels(per_second=0)[0].pace(long) is None


@pytest.mark.django_db
def test_sends_queue_behind_one_another_and_the_queue_empties_with_time():
    number = Pace("twilio-sms:+1", 1.0)
    assert [pace_reserve(number, now=T0) for _ in range(3)] == [T0, T0 + SECOND, T0 + 2 * SECOND]
    # Another sender has a queue of its own.
    assert pace_reserve(Pace("twilio-sms:+2", 1.0), now=T0) == T0
    # Later, when the queue has gone, a send goes at once.
    assert pace_reserve(number, now=T0 + 10 * SECOND) == T0 + 10 * SECOND
    assert pace_reserve(number, now=T0 + 10 * SECOND) == T0 + 11 * SECOND


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_workers_reserving_at_once_each_get_an_instant_of_their_own():
    number, taken = Pace("twilio-sms:+1", 1.0), []
    concurrently(lambda n: taken.append(pace_reserve(number, now=T0)), threads=16)
    assert sorted(taken) == [T0 + n * SECOND for n in range(16)]


@pytest.mark.django_db
def test_a_send_never_leaves_within_the_limit_of_the_one_before_it(frozen_now):
    number = Pace("twilio-sms:+1", 2.0)  # a two-segment text
    frozen_now(T0)
    pace_depart(number)
    frozen_now(T0 + SECOND / 2)  # the next one, on time on paper, but the first left late
    pace_depart(number)
    assert clock.now() == T0 + 2 * SECOND
    frozen_now(T0 + 10 * SECOND)
    pace_depart(number)  # long after: at once
    assert clock.now() == T0 + 10 * SECOND


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_workers_leaving_at_once_leave_one_by_one():
    number, left = Pace("twilio-sms:+1", 0.05), []
    pace_reserve(number, now=clock.now())

    def depart(n):
        # The instant the gate let it leave, not when this thread next ran: on a busy machine a
        # thread may be scheduled long after its departure.
        left.append(pace_depart(number))

    concurrently(depart, threads=8)
    left.sort()
    assert all(b - a >= timedelta(seconds=0.05) for a, b in zip(left, left[1:], strict=False))


@pytest.mark.django_db
def test_a_verification_code_waits_its_turn_at_the_number(settings, frozen_now):
    frozen_now(T0)
    with FakeProviders(
        twilio_account_sid="AC1", twilio_auth_token="t", now=lambda: clock.now()
    ) as fake:
        settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = "AC1", "t"
        settings.TWILIO_API_BASE, settings.PLANTAO_CHANNEL = fake.twilio_base, "auto"
        settings.TWILIO_SMS_SEGMENTS_PER_SECOND, settings.TWILIO_FROM_NUMBER = 1, "+15005550006"
        for n in range(2):
            person = services.person_create(
                username=f"p{n}", display_name=f"P{n}", email=f"p{n}@example.org", time_zone="UTC"
            )
            method = services.contact_method_create(
                person=person, kind="sms", address=f"+1212555990{n}"
            )
            verification_start(method=method, now=T0)
        first, second = (fake.twilio.arrived_at[m["sid"]] for m in fake.twilio.messages)
    assert (first, second) == (T0, T0 + SECOND)  # the second code waited a second for its turn


def test_a_one_off_text_with_no_limit_goes_at_once(frozen_now):
    sent = []

    class Unlimited:
        def pace(self, message):
            return None

        def send(self, message):
            sent.append(message)

    frozen_now(T0)
    paced_send(Unlimited(), Message("x", "sms", "+1", "s", "b"))
    assert sent
