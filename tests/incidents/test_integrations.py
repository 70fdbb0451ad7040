"""Integrations: tokens shown once and stored hashed, rotation, the command, heartbeats."""

import io
import re
import string
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.models import Incident, Integration, Service
from incidents.models.integrations import token_digest
from incidents.services.alerts import heartbeats_overdue
from incidents.services.integrations import (
    heartbeat_ping,
    integration_authenticate,
    integration_create,
    integration_rotate,
    integration_url,
)
from oncall.models import Team

T0 = datetime(2027, 1, 13, 10, 0, tzinfo=UTC)
URL_SAFE = set(string.ascii_letters + string.digits + "-_")


@pytest.fixture
def service(db):
    team = Team.objects.create(name="Platform SRE", slug="platform-sre")
    Service.objects.create(name="auth", team=team)
    return Service.objects.create(name="playback", team=team)


def columns(integration: Integration) -> str:
    return " ".join(
        str(value) for value in Integration.objects.filter(pk=integration.pk).values()[0].values()
    )


def test_a_token_is_32_url_safe_characters_stored_only_as_its_digest(service):
    integration, token = integration_create(service=service, kind="alertmanager", now=T0)
    assert len(token) == 32 and set(token) <= URL_SAFE
    assert integration.token_digest == token_digest(token)
    assert integration.token_hint == token[:6]
    assert token not in columns(integration)
    other, second = integration_create(service=service, kind="alertmanager", now=T0)
    assert second != token


def test_defaults_and_options(service):
    integration, _ = integration_create(
        service=service, kind="webhook", name="backups", rate_limit_per_second=5, now=T0
    )
    assert (integration.name, integration.rate_limit_per_second) == ("backups", 5)
    assert integration.heartbeat_due_at is None
    default, _ = integration_create(service=service, kind="grafana", now=T0)
    assert default.rate_limit_per_second == 5000  # an alert storm passes; a loop does not


def test_a_heartbeat_needs_an_interval_of_a_minute_and_is_due_after_it(service):
    for interval in (0, 59):
        with pytest.raises(ValidationError, match="at least 60"):
            integration_create(
                service=service, kind="heartbeat", heartbeat_interval_seconds=interval, now=T0
            )
    integration, _ = integration_create(
        service=service, kind="heartbeat", heartbeat_interval_seconds=300, now=T0
    )
    assert integration.heartbeat_due_at == T0 + timedelta(seconds=300)


@pytest.mark.parametrize(
    "options, field",
    [
        ({"kind": "nagios"}, "kind"),
        ({"kind": "webhook", "heartbeat_interval_seconds": 60}, "heartbeat_interval_seconds"),
        ({"kind": "webhook", "rate_limit_per_second": 0}, "rate_limit_per_second"),
    ],
)
def test_bad_options_are_refused_and_nothing_is_made(service, options, field):
    with pytest.raises(ValidationError) as caught:
        integration_create(service=service, now=T0, **options)
    assert field in caught.value.message_dict
    assert not Integration.objects.exists()


def test_authenticate_finds_the_integration_and_its_service_in_one_query(service):
    made, token = integration_create(service=service, kind="webhook", now=T0)
    with CaptureQueriesContext(connection) as queries:
        found = integration_authenticate(token=token, now=T0)
        assert found.service.name == "playback"
    assert found == made and len(queries) == 1
    assert integration_authenticate(token=token[:-1] + "?", now=T0) is None
    assert integration_authenticate(token="", now=T0) is None
    assert integration_authenticate(token=made.token_digest, now=T0) is None


def test_rotation_keeps_the_old_token_working_for_the_grace_then_not(service):
    integration, old = integration_create(service=service, kind="webhook", now=T0)
    new = integration_rotate(integration=integration, grace=timedelta(hours=24), now=T0)
    assert len(new) == 32 and new != old
    assert integration.token_hint == new[:6]
    assert integration.previous_valid_until == T0 + timedelta(hours=24)
    assert integration_authenticate(token=new, now=T0) == integration
    assert integration_authenticate(token=old, now=T0 + timedelta(hours=23)) == integration
    assert integration_authenticate(token=old, now=T0 + timedelta(hours=24)) is None
    assert integration_authenticate(token=new, now=T0 + timedelta(days=400)) == integration
    assert old not in columns(integration) and new not in columns(integration)


def test_rotating_again_within_the_grace_drops_the_oldest_token(service):
    integration, first = integration_create(service=service, kind="webhook", now=T0)
    second = integration_rotate(integration=integration, now=T0)
    third = integration_rotate(integration=integration, now=T0 + timedelta(hours=1))
    at = T0 + timedelta(hours=2)
    assert integration_authenticate(token=first, now=at) is None
    assert integration_authenticate(token=second, now=at) == integration
    assert integration_authenticate(token=third, now=at) == integration


def test_rotating_with_no_grace_stops_the_old_token_at_once(service):
    integration, old = integration_create(service=service, kind="webhook", now=T0)
    new = integration_rotate(integration=integration, grace=timedelta(0), now=T0)
    assert integration_authenticate(token=old, now=T0) is None
    assert integration_authenticate(token=new, now=T0) == integration


def test_urls_use_the_public_url(service, settings):
    settings.PUBLIC_URL = "https://oncall.example.org"
    for kind in ("alertmanager", "grafana", "webhook", "heartbeat"):
        integration, token = integration_create(
            service=service,
            kind=kind,
            heartbeat_interval_seconds=60 if kind == "heartbeat" else None,
            now=T0,
        )
        assert integration_url(integration, token) == (
            f"https://oncall.example.org/integrations/{kind}/{token}/"
        )
    pagerduty, token = integration_create(service=service, kind="pagerduty", now=T0)
    assert integration_url(pagerduty, token) == "https://oncall.example.org/v2/enqueue"


def run(*args) -> str:
    out = io.StringIO()
    call_command("integration", *args, stdout=out)
    return out.getvalue()


def test_the_command_prints_a_url_that_works_and_the_token_once(service, client, settings):
    settings.PUBLIC_URL = "http://testserver"
    output = run("create", "--service", "playback", "--kind", "webhook", "--name", "backups")
    url = re.search(r"URL:\s+(\S+)", output).group(1)
    token = re.search(r"Token: (\S+)", output).group(1)
    assert "shown once; store it now" in output
    assert url == f"http://testserver/integrations/webhook/{token}/"
    assert Integration.objects.get().name == "backups"
    response = client.post(
        url.removeprefix("http://testserver"),
        {"title": "Backup failed", "status": "firing"},
        content_type="application/json",
    )
    assert response.status_code == 202
    assert Incident.objects.get().title == "Backup failed"


def test_the_command_prints_a_routing_key_for_pagerduty(service):
    output = run("create", "--service", "playback", "--kind", "pagerduty")
    assert re.search(r"URL:\s+http://\S+/v2/enqueue\n", output)
    assert re.search(r"Routing key: \S{32}\n", output)


def test_the_command_makes_heartbeats_with_an_interval(service):
    output = run("create", "--service", "playback", "--kind", "heartbeat", "--interval", "120")
    assert "/integrations/heartbeat/" in output and "every 120 seconds" in output
    assert Integration.objects.get().heartbeat_interval_seconds == 120
    with pytest.raises(CommandError, match="at least 60"):
        run("create", "--service", "playback", "--kind", "heartbeat", "--interval", "30")


def test_a_heartbeat_made_without_an_interval_expects_a_ping_every_300_seconds(service):
    output = run("create", "--service", "playback", "--kind", "heartbeat")
    assert "every 300 seconds" in output
    heartbeat = Integration.objects.get()
    assert heartbeat.heartbeat_interval_seconds == 300
    # Missed for longer than that, it opens an incident.
    assert heartbeats_overdue(now=heartbeat.heartbeat_due_at + timedelta(seconds=1)) == 1


def test_the_command_lists_known_services_for_an_unknown_one(service):
    with pytest.raises(
        CommandError, match="No service named 'nope'; known services: auth, playback"
    ):
        run("create", "--service", "nope", "--kind", "webhook")
    assert not Integration.objects.exists()


def test_the_command_rotates(service, frozen_now):
    frozen_now(T0)  # the wait for other processes to forget the old token moves this clock
    integration, old = integration_create(service=service, kind="alertmanager", now=T0)
    output = run("rotate", "--id", str(integration.pk), "--grace-hours", "2")
    new = re.search(r"Token: (\S+)", output).group(1)
    assert "The old token keeps working until" in output
    assert integration_authenticate(token=new, now=T0) == integration
    assert "The old token no longer works." in run(
        "rotate", "--id", str(integration.pk), "--grace-hours", "0"
    )
    with pytest.raises(CommandError, match="No integration with id 999"):
        run("rotate", "--id", "999")


def test_a_ping_moves_the_deadline_on(service):
    integration, _ = integration_create(
        service=service, kind="heartbeat", heartbeat_interval_seconds=300, now=T0
    )
    later = T0 + timedelta(minutes=3)
    assert heartbeat_ping(integration=integration, now=later) == later + timedelta(seconds=300)
    integration.refresh_from_db()
    assert integration.last_seen_at == later
    assert integration.heartbeat_due_at == later + timedelta(seconds=300)
    assert not Incident.objects.exists()


def test_a_ping_after_a_missed_heartbeat_resolves_its_incident(service):
    integration, _ = integration_create(
        service=service, kind="heartbeat", name="nightly", heartbeat_interval_seconds=60, now=T0
    )
    late = T0 + timedelta(minutes=5)
    assert heartbeats_overdue(now=late) == 1
    incident = Incident.objects.get()
    assert incident.status == "triggered" and incident.dedup_key == f"heartbeat-{integration.pk}"
    heartbeat_ping(integration=integration, now=late + timedelta(minutes=1))
    incident.refresh_from_db()
    assert incident.status == "resolved"
    integration.refresh_from_db()
    assert integration.heartbeat_due_at == late + timedelta(minutes=2)
