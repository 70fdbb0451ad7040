"""Writing integrations through the API: the URL and token are shown once, in the answer that
made them; a rotated token keeps the old one working through its grace, then only the new one
works, tried through the real ingest endpoints."""

import json
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from incidents.models import Incident, Integration
from oncall import clock

pytestmark = pytest.mark.django_db

INTEGRATIONS = "/api/v1/integrations/"
FORBIDDEN = [("responder", "admin"), ("admin", "respond"), ("admin", "read"), ("viewer", "read")]
CAPTURED = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "alertmanager-0.25"
FIRING = {"title": "Disk full", "status": "firing"}


def fields_of(answer) -> dict:
    assert answer.status_code == 400, answer.content
    assert answer.json()["error"]["code"] == "invalid"
    return answer.json()["error"]["fields"]


def send(client, token: str, body=FIRING):
    """Post a generic webhook alert with `token`, as monitoring would."""
    return client.post(f"/integrations/webhook/{token}/", body, content_type="application/json")


def test_a_new_alertmanager_integration_opens_an_incident_from_the_real_payload(
    worlds, api, client, settings
):
    red, _ = worlds
    settings.PUBLIC_URL = "https://oncall.example.org"
    answer = api().post(
        INTEGRATIONS, {"service": red.service.pk, "kind": "alertmanager", "name": "prod"}
    )
    assert answer.status_code == 201, answer.json()
    made = answer.json()
    token, url = made["token"], made["url"]
    assert len(token) == 32 and made["name"] == "prod" and made["service"] == red.service.pk
    assert url == f"https://oncall.example.org/integrations/alertmanager/{token}/"

    payload = (CAPTURED / "webhook-firing-one-alert.json").read_text()
    before = Incident.objects.filter(service=red.service).count()
    sent = client.post(urlsplit(url).path, payload, content_type="application/json")
    assert sent.status_code == 202, sent.content
    title = json.loads(payload)["alerts"][0]["annotations"]["summary"]
    opened = Incident.objects.filter(service=red.service).exclude(pk=red.incident.pk)
    assert Incident.objects.filter(service=red.service).count() == before + 1
    assert opened.get().title == title


def test_the_token_is_never_shown_again(worlds, api):
    red, _ = worlds
    client = api()
    made = client.post(INTEGRATIONS, {"service": red.service.pk, "kind": "webhook"}).json()
    token = made["token"]
    for answer in (
        client.get(f"{INTEGRATIONS}{made['id']}/"),
        client.get(INTEGRATIONS),
        client.get(INTEGRATIONS, {"service": red.service.pk}),
        client.patch(f"{INTEGRATIONS}{made['id']}/", {"name": "renamed"}),
    ):
        assert answer.status_code == 200
        assert token not in answer.content.decode() and "token" not in answer.json()
    assert token not in json.dumps(list(Integration.objects.values()), default=str)


def test_a_heartbeat_gets_300_seconds_and_pagerduty_its_routing_key_url(worlds, api, settings):
    red, _ = worlds
    client = api()
    heartbeat = client.post(INTEGRATIONS, {"service": red.service.pk, "kind": "heartbeat"})
    assert heartbeat.status_code == 201
    assert heartbeat.json()["heartbeat_interval_seconds"] == 300
    assert heartbeat.json()["url"].endswith(f"/integrations/heartbeat/{heartbeat.json()['token']}/")
    pagerduty = client.post(INTEGRATIONS, {"service": red.service.pk, "kind": "pagerduty"}).json()
    assert pagerduty["url"] == f"{settings.PUBLIC_URL}/v2/enqueue"


@pytest.mark.parametrize(
    "extra, field",
    [
        ({"kind": "nagios"}, "kind"),
        ({"kind": "webhook", "heartbeat_interval_seconds": 600}, "heartbeat_interval_seconds"),
        ({"kind": "heartbeat", "heartbeat_interval_seconds": 10}, "heartbeat_interval_seconds"),
        ({"kind": "webhook", "rate_limit_per_second": 0}, "rate_limit_per_second"),
        ({"kind": "webhook", "name": "x" * 101}, "name"),
        ({"kind": "webhook", "service": "red-cdn"}, "service"),
    ],
)
def test_a_bad_integration_is_refused_naming_the_field_and_nothing_is_stored(
    worlds, api, extra, field
):
    red, _ = worlds
    before = Integration.objects.count()
    assert list(fields_of(api().post(INTEGRATIONS, {"service": red.service.pk, **extra}))) == [
        field
    ]
    assert Integration.objects.count() == before


def test_another_teams_integrations_do_not_exist_for_writes(worlds, api, client):
    red, blue = worlds
    admin = api()
    refused = fields_of(admin.post(INTEGRATIONS, {"service": blue.service.pk, "kind": "webhook"}))
    assert refused == {"service": ["There is no such service in your teams."]}
    url = f"{INTEGRATIONS}{blue.integration.pk}/"
    for answer in (
        admin.patch(url, {"name": "mine"}),
        admin.post(f"{url}rotate/", {}),
        admin.delete(url),
    ):
        assert answer.status_code == 404
        assert answer.json()["error"] == {"code": "not_found", "message": "Not found."}
    blue.integration.refresh_from_db()
    assert blue.integration.name == "blue prometheus"
    assert send(client, blue.integration_token).status_code == 202  # untouched


@pytest.mark.parametrize("role, scope", FORBIDDEN)
def test_only_a_team_admin_with_an_admin_token_writes_integrations(
    worlds, api, client, role, scope
):
    red, _ = worlds
    caller = api(role, scope)
    url = f"{INTEGRATIONS}{red.integration.pk}/"
    before = Integration.objects.count()
    for answer in (
        caller.post(INTEGRATIONS, {"service": red.service.pk, "kind": "webhook"}),
        caller.patch(url, {"name": "changed"}),
        caller.post(f"{url}rotate/", {"grace_seconds": 0}),
        caller.delete(url),
    ):
        assert answer.status_code == 403, answer.json()
        assert "admin role" in answer.json()["error"]["message"]
    assert Integration.objects.count() == before
    assert send(client, red.integration_token).status_code == 202  # neither rotated nor gone


def test_patch_changes_name_rate_limit_and_interval(worlds, api):
    red, _ = worlds
    client = api()
    made = client.post(INTEGRATIONS, {"service": red.service.pk, "kind": "heartbeat"}).json()
    url = f"{INTEGRATIONS}{made['id']}/"
    changed = client.patch(
        url,
        {"name": "nightly backup", "rate_limit_per_second": 10, "heartbeat_interval_seconds": 3600},
    )
    assert changed.status_code == 200, changed.json()
    integration = Integration.objects.get(pk=made["id"])
    assert (integration.name, integration.rate_limit_per_second) == ("nightly backup", 10)
    assert integration.heartbeat_interval_seconds == 3600
    assert integration.heartbeat_due_at > clock.now() + timedelta(minutes=59)
    # An interval is for heartbeats only: refused on a webhook, which is left as it was.
    webhook = f"{INTEGRATIONS}{red.integration.pk}/"
    body = {"name": "renamed", "heartbeat_interval_seconds": 600}
    assert list(fields_of(client.patch(webhook, body))) == ["heartbeat_interval_seconds"]
    red.integration.refresh_from_db()
    assert red.integration.name == "red prometheus"
    assert red.integration.heartbeat_interval_seconds is None


def test_an_integration_is_not_replaced_whole(worlds, api):
    red, _ = worlds
    body = {"service": red.service.pk, "kind": "grafana", "name": "swapped"}
    answer = api().put(f"{INTEGRATIONS}{red.integration.pk}/", body)
    assert answer.status_code == 405
    red.integration.refresh_from_db()
    assert (red.integration.kind, red.integration.name) == ("webhook", "red prometheus")


def test_a_deleted_integrations_token_stops_at_once(worlds, api, client):
    red, _ = worlds
    assert send(client, red.integration_token).status_code == 202  # recognised, remembered
    assert api().delete(f"{INTEGRATIONS}{red.integration.pk}/").status_code == 204
    assert not Integration.objects.filter(pk=red.integration.pk).exists()
    assert send(client, red.integration_token).status_code == 404


def test_a_rotated_token_works_with_the_old_one_through_the_grace_then_alone(
    worlds, api, client, frozen_now
):
    red, _ = worlds
    now = frozen_now(clock.now())
    old = red.integration_token
    assert send(client, old).status_code == 202
    answer = api().post(f"{INTEGRATIONS}{red.integration.pk}/rotate/", {"grace_seconds": 3600})
    assert answer.status_code == 200, answer.json()
    new = answer.json()["token"]
    assert new != old and answer.json()["url"].endswith(f"/integrations/webhook/{new}/")
    assert answer.json()["previous_valid_until"] is not None

    frozen_now(now + timedelta(minutes=59))
    assert send(client, old).status_code == 202
    assert send(client, new).status_code == 202

    frozen_now(now + timedelta(minutes=61))
    assert send(client, old).status_code == 404
    assert send(client, new).status_code == 202
    shown = api().get(f"{INTEGRATIONS}{red.integration.pk}/").content.decode()
    assert new not in shown and old not in shown


def test_rotating_with_no_grace_stops_the_old_token_at_once_and_a_day_is_the_default(
    worlds, api, client
):
    red, _ = worlds
    admin = api()
    url = f"{INTEGRATIONS}{red.integration.pk}/rotate/"
    first = admin.post(url, {"grace_seconds": 0}).json()["token"]
    assert send(client, red.integration_token).status_code == 404
    assert send(client, first).status_code == 202
    second = admin.post(url).json()  # no body: a day's grace
    red.integration.refresh_from_db()
    left = red.integration.previous_valid_until - clock.now()
    assert timedelta(hours=23, minutes=59) < left <= timedelta(hours=24)
    assert (
        send(client, first).status_code == 202 and send(client, second["token"]).status_code == 202
    )


@pytest.mark.parametrize("grace", [-1, 7 * 24 * 3600 + 1, "a day"])
def test_a_grace_outside_0_to_7_days_is_refused_and_nothing_is_rotated(worlds, api, client, grace):
    red, _ = worlds
    url = f"{INTEGRATIONS}{red.integration.pk}/rotate/"
    assert list(fields_of(api().post(url, {"grace_seconds": grace}))) == ["grace_seconds"]
    assert send(client, red.integration_token).status_code == 202
    red.integration.refresh_from_db()
    assert red.integration.previous_valid_until is None
