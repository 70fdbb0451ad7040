"""Readiness: can this process reach the database and the broker right now?"""

from __future__ import annotations

from django.db import connection

from oncall import clock

BROKER_TIMEOUT_SECONDS = 2


def _database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # noqa: BLE001 - any failure means "not ready"
        return {"ok": False, "error": type(error).__name__}
    return {"ok": True}


def _broker() -> dict:
    from oncall.config.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
    except Exception as error:  # noqa: BLE001 - any failure means "not ready"
        # The class name only: broker URLs carry passwords and must not reach a response.
        return {"ok": False, "error": type(error).__name__}
    return {"ok": True, "transport": app.conf.broker_url.split(":", 1)[0]}


def pipeline_age_seconds() -> float | None:
    """Return how long ago a worker last ran the scheduler's heartbeat, or None if never."""
    from oncall.models import Heartbeat
    from oncall.tasks import PIPELINE

    beat = Heartbeat.objects.filter(name=PIPELINE).first()
    return None if beat is None else round((clock.now() - beat.seen_at).total_seconds(), 1)


def readiness_checks() -> dict[str, dict]:
    """Return each dependency's state; the process is ready when all are ok."""
    return {"database": _database(), "broker": _broker()}
