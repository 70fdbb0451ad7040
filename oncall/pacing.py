"""Provider throughput limits, kept with a queue rather than by dropping.

Twilio takes one SMS segment a second from a long-code number, and places one call a second
for an account; faster, and it queues (texts can then outlive their validity) or refuses.
Each send reserves its share of the sender's time: the first free instant from now on, taken
with a compare-and-set on the sender's row, so workers on several machines share one queue.
A page whose instant is later waits for it (incidents keep the reservation on the page); a
one-off text (a verification code, a shift notice) waits here. Right before it leaves, each send
also passes a gate on the sender's last actual departure, so a send that left late never brings
the next one within the limit.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q

from oncall import clock
from oncall.channels.base import Channel, Message, Pace, SendResult
from oncall.models import SendPace

# A send whose place is at most this far off waits for it in the worker: cheaper than going
# back to the queue and the broker for it (a short code's 100 texts a second).
WAIT_IN_PROCESS = timedelta(milliseconds=100)


def pace_reserve(pace: Pace, *, now: datetime) -> datetime:
    """Reserve `pace.seconds` of the sender's time; return the instant the send may go."""
    cost = timedelta(seconds=pace.seconds)
    while True:
        free_at = (
            SendPace.objects.filter(sender=pace.sender).values_list("free_at", flat=True).first()
        )
        if free_at is None:
            try:
                with transaction.atomic():
                    SendPace.objects.create(sender=pace.sender, free_at=now + cost)
                return now
            except IntegrityError:
                continue  # another sender created it first: take a turn after theirs
        start = max(free_at, now)
        # Only if nobody reserved meanwhile; otherwise read again and queue behind them.
        if SendPace.objects.filter(sender=pace.sender, free_at=free_at).update(
            free_at=start + cost
        ):
            return start


def pace_depart(pace: Pace) -> datetime:
    """Wait until the previous send of the sender is its cost behind, then mark this one leaving;
    return the instant it left.

    Reservations space sends on paper; a send that left late (a busy worker) would otherwise
    bring the next, on time, closer than the limit. Taken with a conditional update, so of two
    sends at once only one leaves; the other waits for the remainder, at most one send's cost.
    """
    while True:
        now = clock.now()
        if SendPace.objects.filter(
            Q(departs_after__isnull=True) | Q(departs_after__lte=now), sender=pace.sender
        ).update(departs_after=now + timedelta(seconds=pace.seconds)):
            return now
        after = (
            SendPace.objects.filter(sender=pace.sender)
            .values_list("departs_after", flat=True)
            .first()
        )
        if after is None:  # no row yet: a send that was never reserved (the limit just set)
            pace_reserve(pace, now=now)
            continue
        clock.sleep(max((after - now).total_seconds(), 0.001))


def paced_send(channel: Channel, message: Message) -> SendResult:
    """Send a one-off message in its place at the provider, waiting here until it comes."""
    pace = channel.pace(message)
    if pace is not None:
        now = clock.now()
        wait = pace_reserve(pace, now=now) - now
        if wait > timedelta(0):
            clock.sleep(wait.total_seconds())
        pace_depart(pace)
    return channel.send(message)
