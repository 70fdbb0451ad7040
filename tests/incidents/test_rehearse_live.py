"""`manage.py rehearse` against Django's live server on any database (SQLite included): alerts
over HTTP, the engine's tasks run on commit as a worker would, the report from the API."""

import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import CommandError, call_command

from incidents.demo import demo_load
from incidents.models import Incident, Rehearsal
from incidents.rehearse.client import Client
from incidents.services import doorbell
from oncall import clock
from oncall.config.celery import app
from oncall.models import ContactMethod, NotificationRule, RehearsalSend
from oncall.tokens import api_token_create


@pytest.fixture
def eager(monkeypatch, settings, tmp_path):
    """Run every task the code queues at once, in the thread that committed, as a worker would."""
    app.loader.import_default_modules()
    flags = {"task_always_eager": True, "task_eager_propagates": True}
    saved = {name: app.conf.get(name) for name in flags}
    app.conf.update(flags)
    monkeypatch.setattr(doorbell, "BELL_SECONDS", 1e-9)
    monkeypatch.setattr(doorbell, "_rung_slice", -1)
    cache.clear()
    settings.PLANTAO_CHANNEL = "recording"
    settings.PLANTAO_RECORDING_PATH = str(tmp_path / "pages.jsonl")
    yield
    app.conf.update(saved)


@pytest.mark.django_db(transaction=True)
def test_a_small_rehearsal_against_the_live_server_reports_its_incidents_and_removes_them(
    live_server, eager, tmp_path
):
    demo_load()
    # E-mail only: sent as the step fires, so nothing waits for a worker's later turn.
    NotificationRule.objects.exclude(contact_method__kind=ContactMethod.Kind.EMAIL).delete()
    NotificationRule.objects.filter(delay_minutes__gt=0).delete()
    admin = get_user_model().objects.create_superuser("root", password="x")
    _, token = api_token_create(user=admin, name="ci", scope="admin", now=clock.now())
    out = io.StringIO()
    try:
        call_command(
            "rehearse", "--url", live_server.url, "--token", token, "--alerts", "12",
            "--rate", "40", "--concurrency", "1", "--wait", "20", "--min-accepted-rate", "0",
            "--out", str(tmp_path), stdout=out, stderr=io.StringIO(),
        )  # fmt: skip
    except CommandError as error:  # pragma: no cover - the failure's explanation
        pytest.fail(f"exit {error.returncode}: {error}\n{out.getvalue()}")
    rehearsal = Rehearsal.objects.get()
    made = json.loads((tmp_path / f"rehearsal-{rehearsal.pk}.json").read_text())
    assert made["passed"] and rehearsal.passed
    assert made["drive"]["alerts_accepted"] == 12
    assert made["server"]["incidents"] == 12 and made["server"]["unsettled"] == 0
    assert made["latency"]["alert_to_first_page"]["count"] == 12
    assert made["server"]["pages_by_kind"].keys() == {"email"}
    assert "Alert to first page: p50" in out.getvalue()
    # Removed afterwards (no --keep): its incidents and its channel's records are gone.
    assert rehearsal.removed_at is not None
    assert not Incident.objects.exists() and not RehearsalSend.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_rehearsal_refused_by_the_server_exits_2_with_its_reason(live_server, tmp_path):
    demo_load()
    admin = get_user_model().objects.create_superuser("root", password="x")
    _, token = api_token_create(user=admin, name="ci", scope="admin", now=clock.now())
    running = Client(live_server.url, token).create(alerts=10, rate=10, service="edge")
    with pytest.raises(CommandError) as refused:
        call_command(
            "rehearse", "--url", live_server.url, "--token", token, "--alerts", "5",
            "--rate", "5", "--service", "edge", "--out", str(tmp_path),
        )  # fmt: skip
    assert refused.value.returncode == 2
    assert "(409)" in str(refused.value) and "edge" in str(refused.value)
    assert list(Rehearsal.objects.values_list("pk", flat=True)) == [running["id"]]
    assert not list(tmp_path.iterdir())  # no report of a rehearsal that never ran
