"""`manage.py rehearse` end to end: a storm of a few hundred alerts through the Procfile's web
process into a rehearsal service, paged by real Celery workers on PostgreSQL + Redis. The report
must say what the database recorded, and no page may reach a real channel."""

import io
import json
import os
from collections import Counter

import pytest
import redis
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection

from incidents.demo import demo_load
from incidents.models import Alert, Incident, Page, Rehearsal
from incidents.rehearse import report
from incidents.rehearse.client import Client
from oncall import clock
from oncall.channels.recording import sends
from oncall.models import ApiToken, NotificationRule, RehearsalSend
from oncall.tokens import api_token_create
from tests.webserver import WebServer, server_env

from . import chaos

BROKER_DB = 4  # this test's own Redis database, flushed before and after
ALERTS, RATE = 300, 60  # a storm: 15 incidents, 95 % duplicates, over 5 s
SETTLED = {"sent", "delivered", "failed", "cancelled"}


@pytest.fixture
def stack(transactional_db, tmp_path, settings):
    """The web process (as the Procfile starts it) and a Celery worker and scheduler, all on the
    test database and one Redis database, paging through the recording channel."""
    broker = chaos.redis_url(BROKER_DB)
    client = redis.Redis.from_url(broker)
    client.flushdb()
    recording = tmp_path / "pages.jsonl"
    common = {
        "DJANGO_SETTINGS_MODULE": "oncall.config.settings.local",
        "DATABASE_URL": chaos.database_url(connection.settings_dict["NAME"]),
        "CELERY_BROKER_URL": broker,
        "PLANTAO_CHANNEL": "recording",
        "PLANTAO_RECORDING_PATH": str(recording),
        "PLANTAO_SWEEP_SECONDS": "1",
        "PLANTAO_SMS_SPACING_SECONDS": "2",
        "LOG_LEVEL": "WARNING",
    }
    logs = tmp_path / "logs"
    logs.mkdir()
    web = None
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "PYTEST_CURRENT_TEST")}
    fleet = chaos.Fleet(env={**env, **common}, logs=logs, recording=recording)
    try:
        web = WebServer(server_env(tmp_path / "unused.sqlite3", **common), logs / "web.log", 2)
        fleet.worker("worker", concurrency=2)
        fleet.beat("scheduler")
        settings.PUBLIC_URL = f"http://127.0.0.1:{web.port}"
        yield type("Stack", (), {"web": web, "fleet": fleet, "recording": recording})
    finally:
        fleet.kill_all()
        if web is not None:
            web.stop()
        client.flushdb()
        client.close()


def percentiles(values):
    ordered = sorted(values)
    return report.percentile(ordered, 0.5), report.percentile(ordered, 0.99)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_storm_rehearsal_reports_what_the_database_recorded_and_reaches_no_one(stack, tmp_path):
    demo_load()
    # Only the pages due at once: the first step settles within the test, not in 3 minutes.
    NotificationRule.objects.filter(delay_minutes__gt=0).delete()
    get_user_model().objects.create_superuser("root", password="x")
    out = io.StringIO()
    try:
        call_command(
            "rehearse", "--alerts", str(ALERTS), "--rate", str(RATE), "--shape", "storm",
            "--service", "edge", "--wait", "45", "--keep", "--out", str(tmp_path / "reports"),
            "--min-accepted-rate", "10", "--max-p99-first-page", "40", "--max-p99-last-page",
            "40", stdout=out, stderr=io.StringIO(),
        )  # fmt: skip
    except CommandError as error:  # pragma: no cover - the failure's explanation
        pytest.fail(f"exit {error.returncode}: {error}\n{out.getvalue()}\n{stack.fleet.log_tail()}")
    printed = out.getvalue()

    # What it printed: the figures, every threshold held, the paths of both reports.
    rehearsal = Rehearsal.objects.get()
    assert "Alert to first page: p50 " in printed and "p99 " in printed
    assert "FAIL" not in printed and "PASS Pages sent through a real channel" in printed
    json_path = tmp_path / "reports" / f"rehearsal-{rehearsal.pk}.json"
    assert f"JSON report: {json_path}" in printed
    assert f"HTML report: {json_path.with_suffix('.html')}" in printed
    made = json.loads(json_path.read_text())
    assert json_path.with_suffix(".html").read_text().startswith("<!DOCTYPE html>")

    # The server kept the report, finished the rehearsal, and the minted token is revoked.
    assert rehearsal.finished_at is not None and rehearsal.passed is True
    assert rehearsal.report["figures"] == made["figures"]
    assert rehearsal.service.rehearsal_of.name == "edge"
    assert not ApiToken.objects.filter(revoked_at__isnull=True).exists()

    # Counts: every alert accepted and stored; one incident a storm key, all rehearsal ones.
    incidents = Incident.objects.filter(service=rehearsal.service)
    assert made["drive"]["alerts_accepted"] == ALERTS
    assert Alert.objects.filter(incident__in=incidents).count() == ALERTS
    assert made["server"]["incidents"] == incidents.count() == ALERTS // 20
    assert set(incidents.values_list("kind", flat=True)) == {"rehearsal"}
    assert not Incident.objects.exclude(service=rehearsal.service).exists()
    pages = Page.objects.filter(incident__in=incidents)
    assert made["server"]["pages"] == pages.count() > 0
    assert made["server"]["unsettled"] == 0
    assert made["server"]["pages_by_kind"] == dict(Counter(pages.values_list("kind", flat=True)))

    # Latencies, recomputed from the rows: alert -> first page (the incident's record of when
    # its first page left) and alert -> the first step's last page (the pages' own records).
    first_alert, last_page = {}, {}
    for incident_id, received in Alert.objects.filter(incident__in=incidents).values_list(
        "incident_id", "received_at"
    ):
        first_alert[incident_id] = min(received, first_alert.get(incident_id, received))
    for incident_id, sent in pages.filter(step=0, sent_at__isnull=False).values_list(
        "incident_id", "sent_at"
    ):
        last_page[incident_id] = max(sent, last_page.get(incident_id, sent))
    paged = dict(incidents.values_list("pk", "first_paged_at"))
    assert None not in paged.values() and last_page.keys() == paged.keys() == first_alert.keys()
    for name, ends in (
        ("alert_to_first_page", paged),
        ("alert_to_last_first_step_page", last_page),
    ):
        waits = [(ends[i] - first_alert[i]).total_seconds() for i in ends]
        figure = made["latency"][name]
        assert figure["count"] == len(waits) == incidents.count()
        assert (figure["p50"], figure["p99"]) == pytest.approx(percentiles(waits), abs=1e-3)
        assert sum(figure["histogram"]) == len(waits)

    # Reached no one: every sent page is a rehearsal channel's record, the real channel got none.
    assert sends(stack.recording) == []
    assert made["server"]["real_channel_sends"] == 0
    carried = Counter(
        reference
        for send in RehearsalSend.objects.all()
        for reference in [send.reference, *send.also]
    )
    sent_pages = pages.filter(state__in=["sent", "delivered"])
    assert sum(carried.values()) == sent_pages.count() > 0
    assert set(pages.values_list("state", flat=True)) <= SETTLED

    # Removal (the default without --keep) deletes its incidents and its channel's records.
    admin = get_user_model().objects.get(username="root")
    _, token = api_token_create(user=admin, name="t", scope="admin", now=clock.now())
    Client(f"http://127.0.0.1:{stack.web.port}", token).remove(rehearsal.pk)
    assert not incidents.exists() and not RehearsalSend.objects.exists()
    rehearsal.refresh_from_db()
    assert rehearsal.removed_at is not None
