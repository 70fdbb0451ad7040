"""Thin Celery tasks over services."""

import socket

from celery import shared_task

from oncall import clock, notices
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
    """Tell people their shift starts within the hour, or has ended."""
    notices.notices_send(now=clock.now())
