"""Ring Celery's doorbell after commit. The database already says what must happen; a lost ring
only delays it until the sweep rings again."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction

# Never ask the broker to hold a message longer than this: well inside any visibility timeout,
# so an ETA task is never redelivered early. Later work is left to the sweep.
MAX_COUNTDOWN = timedelta(seconds=60)


def _send(task: str, object_id: int, countdown: float) -> None:
    from oncall.config.celery import app

    app.send_task(task, args=[object_id], countdown=max(0.0, countdown) or None)


def ring(task: str, object_id: int, *, due_at: datetime, now: datetime) -> bool:
    """Queue `task(object_id)` on commit to run at `due_at`; False if it is too far off to ring.

    The caller records `rung_for = due_at` when this returns True, so the sweep does not ring it
    again unless it is overdue (a lost message).
    """
    wait = due_at - now
    if wait > MAX_COUNTDOWN:
        return False
    transaction.on_commit(lambda: _send(task, object_id, wait.total_seconds()))
    return True


def ring_now(task: str, object_id: int, countdown: float = 0) -> None:
    """Queue `task(object_id)` straight away (the sweep, outside any transaction)."""
    _send(task, object_id, countdown)
