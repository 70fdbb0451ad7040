"""Provider throughput limits, kept with a queue rather than by dropping.

Twilio takes one SMS segment a second from a long-code number, and places one call a second
for an account; faster, and it queues (texts can then outlive their validity) or refuses.
Each send reserves its share of the sender's time: the first free instant from now on, taken
with a compare-and-set on the sender's row, so workers on several machines share one queue.
A page whose instant is later waits for it (incidents keep the reservation on the page); a
one-off text (a verification code, a shift notice) waits here.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction

from oncall import clock
from oncall.channels.base import Channel, Message, Pace, SendResult
from oncall.models import SendPace


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


def paced_send(channel: Channel, message: Message) -> SendResult:
    """Send a one-off message in its place at the provider, waiting here until it comes."""
    pace = channel.pace(message)
    if pace is not None:
        now = clock.now()
        wait = pace_reserve(pace, now=now) - now
        if wait > timedelta(0):
            clock.sleep(wait.total_seconds())
    return channel.send(message)
