"""Thin Celery tasks over services."""

import socket

from celery import shared_task

from oncall import clock, cover_notices, handoffs, notices, replays, verification
from oncall.models import Heartbeat

PIPELINE = "pipeline"


@shared_task(ignore_result=True)
def heartbeat() -> None:
    """Record that a task sent by the scheduler reached a worker just now."""
    Heartbeat.objects.update_or_create(
        name=PIPELINE, defaults={"seen_at": clock.now(), "worker": socket.gethostname()}
    )


@shared_task(ignore_result=True)
def shift_notices() -> None:
    """Tell people their shift starts within the hour, or has ended; and tell each team's Slack
    channel of its schedules' handoffs."""
    now = clock.now()
    notices.notices_send(now=now)
    handoffs.handoffs_summarise(now=now)


@shared_task(ignore_result=True)
def contact_verification_send(method_id: int) -> None:
    """Send a new contact method its verification code."""
    verification.verification_send(method_id=method_id)


@shared_task(ignore_result=True)
def cover_notices_send(request_id: int, what: str) -> None:
    """Tell who it concerns that a cover request was asked ("asked") or taken ("taken")."""
    cover_notices.cover_notices_send(request_id=request_id, what=what)


@shared_task(ignore_result=True)
def signed_requests_purge() -> None:
    """Forget the signed Twilio and Slack requests too old to be replayed."""
    replays.signed_requests_purge(now=clock.now())
