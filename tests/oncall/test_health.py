"""Liveness and readiness, as a load balancer or orchestrator sees them."""

from datetime import UTC, datetime, timedelta

import pytest

from oncall.config.celery import app
from oncall.tasks import heartbeat


def test_healthz_answers_without_touching_anything(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_checks_the_database_and_the_broker(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["broker"]["ok"] is True


@pytest.mark.django_db
def test_readyz_reports_an_unreachable_broker_without_its_password(client, monkeypatch):
    unreachable = "redis://:hunter2-secret@127.0.0.1:9/0"
    # The setting first: its value to restore is read before the variable below changes it.
    monkeypatch.setattr(app.conf, "broker_url", unreachable)
    monkeypatch.setenv("CELERY_BROKER_URL", unreachable)  # Celery prefers it to its settings
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False
    assert b"hunter2" not in response.content


@pytest.mark.django_db
def test_readyz_tells_how_long_ago_the_pipeline_last_moved(client, frozen_now):
    assert client.get("/readyz").json()["pipeline_heartbeat_age_seconds"] is None
    beat_at = frozen_now(datetime(2027, 1, 1, 3, tzinfo=UTC))
    heartbeat()
    frozen_now(beat_at + timedelta(seconds=42))
    assert client.get("/readyz").json()["pipeline_heartbeat_age_seconds"] == 42.0
