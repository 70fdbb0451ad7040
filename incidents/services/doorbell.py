"""Ring Celery's doorbell after commit. The database already says what must happen; a lost ring
only delays it until the sweep rings again.

Two kinds of ring:
- `ring(task, id)`: one task for one row, due at a given time (a page, a later step);
- `ring_engine()`: "new work is due now". Rings are coalesced: of all the commits in one
  BELL_SECONDS slice of time, only the first publishes a message, for an engine run that starts
  just after the slice ends, so it sees every row those commits wrote. A storm of a thousand
  alerts a second costs the broker twenty messages a second, not a thousand.
"""

from __future__ import annotations

import logging
import math
import time
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import transaction

log = logging.getLogger(__name__)

# Every task the incidents app queues by name, here and only here: a test checks each one is a
# registered task, so a renamed task fails the suite rather than a page at run time.
ENGINE = "incidents.tasks.engine_run"
ESCALATE = "incidents.tasks.escalation_fire"
SEND = "incidents.tasks.page_send"
RECONCILE = "incidents.tasks.page_reconcile"
SLACK_POST = "incidents.slack.tasks.slack_incident_post"
SLACK_UPDATE = "incidents.slack.tasks.slack_incident_update"
SLACK_RESPOND = "incidents.slack.tasks.slack_respond"
REST_CHECK = "incidents.tasks.rest_protection_check"
ROTA_PROPOSAL_SOLVE = "incidents.tasks.rota_proposal_solve"
TASKS = (
    ENGINE,
    ESCALATE,
    SEND,
    RECONCILE,
    SLACK_POST,
    SLACK_UPDATE,
    SLACK_RESPOND,
    REST_CHECK,
    ROTA_PROPOSAL_SOLVE,
)
# Never ask the broker to hold a message longer than this: well inside any visibility timeout,
# so an ETA task is never redelivered early. Later work is left to the sweep.
MAX_COUNTDOWN = timedelta(seconds=60)
BELL_SECONDS = 0.05  # one engine ring per slice of time, per cache (shared: Redis)
BELL_MARGIN = 0.02  # start after the slice, allowing for clocks of machines a little apart


def publish(task: str, args: list, countdown: float | None = None) -> None:
    """Queue `task(*args)` now, through its registered task (so a test app running tasks
    eagerly runs it at once, as a worker would), or by name if this process does not know it."""
    from oncall.config.celery import app

    app.signature(task, args=args).apply_async(countdown=countdown)


def _send(task: str, object_id: int | None, countdown: float) -> None:
    publish(task, [] if object_id is None else [object_id], max(0.0, countdown) or None)


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


def ring_now(task: str, object_id: int | None, countdown: float = 0) -> None:
    """Queue `task(object_id)` straight away (the sweep, outside any transaction)."""
    _send(task, object_id, countdown)


_rung_slice = -1  # the last slice this process rang, or saw rung: no need to ask the cache again


def _bell() -> None:
    global _rung_slice
    instant = time.time()  # after the commit: this slice's run will see what it wrote
    slice_ = math.floor(instant / BELL_SECONDS)
    if slice_ == _rung_slice:
        return
    _rung_slice = slice_
    try:
        first = cache.add(f"plantao:bell:{slice_}", 1, timeout=10)
    except Exception:  # noqa: BLE001 - no cache: ring anyway, a spare run costs little
        log.warning("cache unavailable; ringing the engine without coalescing")
        first = True
    if first:
        _send(ENGINE, None, (slice_ + 1) * BELL_SECONDS + BELL_MARGIN - instant)


def ring_engine() -> None:
    """On commit, make sure an engine run (incidents.tasks.engine_run) starts within ~70 ms."""
    transaction.on_commit(_bell)


def ring_engine_soon() -> None:
    """Make sure an engine run starts within ~70 ms, ringing now (outside a transaction):
    coalesced with every other ring of this slice."""
    _bell()
