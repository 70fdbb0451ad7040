"""The services and integrations pages: forms that show their errors in place and store nothing,
another team's objects that do not exist (404), viewers and responders refused (403), a token
shown on the page after its creation and never again, a test alert through the real ingest path,
and maintenance windows read in the viewer's own zone."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from incidents.ingest.samples import TEST_TITLE
from incidents.models import (
    Alert,
    EscalationPolicy,
    Incident,
    Integration,
    MaintenanceWindow,
    Service,
)
from incidents.rehearsals.twins import twin_for
from incidents.services.integrations import integration_create
from oncall import clock
from oncall.models import AuditEntry, Membership, Person, Team

from .conftest import make_integration

LISBON = ZoneInfo("Europe/Lisbon")


def browser(person: Person) -> Client:
    client = Client()
    client.force_login(person.user)
    return client


def someone(username: str, role: str, team: Team, zone: str = "Europe/Lisbon") -> Person:
    user = get_user_model().objects.create_user(username)
    person = Person.objects.create(user=user, display_name=username.title(), time_zone=zone)
    Membership.objects.create(team=team, person=person, role=role)
    return person


def field_errors(response) -> dict[str, list[str]]:
    """Return each field's errors, as the page shows them under the field's label."""
    page = response.content.decode()
    found = {}
    for block in re.findall(r'<div class="field field--invalid">(.*?)</div>', page, re.S):
        label = re.search(r"<label[^>]*>(.*?)</label>", block, re.S).group(1).strip()
        found[label] = re.findall(r'<p class="field__error"[^>]*>(.*?)</p>', block, re.S)
    return found


SERVICE = {
    "name": "search",
    "team": "",
    "escalation_policy": "",
    "urgency_rule": "severity",
    "ack_timeout_minutes": "",
    "auto_resolve_minutes": "",
    "slack_channel": "",
    "description": "",
}


def test_a_team_admin_creates_a_service_and_errors_are_shown_in_place(sre, manager):
    client = browser(manager)
    policy = EscalationPolicy.objects.get(team=sre)
    assert "New service" in client.get("/services/").content.decode()
    before = Service.objects.count()

    bad = SERVICE | {
        "name": "Search Engine",
        "team": sre.pk,
        "slack_channel": "general",
        "ack_timeout_minutes": "0",
    }
    response = client.post("/services/new/", bad)
    assert response.status_code == 400
    errors = field_errors(response)
    assert set(errors) >= {"Name", "Trigger again if acknowledged but not resolved after (minutes)"}
    assert Service.objects.count() == before

    # The form passes; the service finds what the form cannot: a channel that is no Slack id.
    response = client.post("/services/new/", SERVICE | {"team": sre.pk, "slack_channel": "general"})
    assert response.status_code == 400
    assert field_errors(response) == {
        "Slack channel id": ["general is not a Slack channel id, such as C0123ABCD."]
    }
    assert Service.objects.count() == before

    good = SERVICE | {"team": sre.pk, "escalation_policy": policy.pk, "slack_channel": "C0123ABCD"}
    response = client.post("/services/new/", good)
    service = Service.objects.get(name="search")
    assert response.status_code == 302 and response.url == f"/services/{service.pk}/"
    assert (service.team, service.escalation_policy) == (sre, policy)
    listed = client.get("/services/").content.decode()
    assert "search" in listed and "C0123ABCD" in listed


def test_a_policy_of_another_team_is_not_offered_nor_taken(sre, manager, elsewhere):
    response = browser(manager).post(
        "/services/new/",
        SERVICE | {"team": sre.pk, "escalation_policy": elsewhere.escalation_policy.pk},
    )
    assert response.status_code == 400
    assert field_errors(response) == {"Escalation policy": ["Choose one of the policies listed."]}
    assert not Service.objects.filter(name="search").exists()


def test_edit_keeps_the_team_and_delete_archives_a_service_with_incidents(sre, manager):
    client = browser(manager)
    service = Service.objects.get(name="cdn")
    response = client.post(
        f"/services/{service.pk}/edit/", SERVICE | {"name": "cdn", "urgency_rule": "high"}
    )
    assert response.status_code == 302
    service.refresh_from_db()
    assert service.urgency_rule == "high" and service.escalation_policy is None

    Incident.objects.create(
        service=service, title="old", status="resolved", dedup_key="k", created_at=clock.now()
    )
    response = client.post(f"/services/{service.pk}/delete/", follow=True)
    assert "Archived the service cdn" in response.content.decode()
    service.refresh_from_db()
    assert service.archived_at is not None
    assert "cdn" not in client.get("/services/").content.decode()


def test_another_teams_services_and_integrations_do_not_exist(manager, elsewhere):
    client = browser(manager)
    integration = elsewhere.integrations.get()
    for path in (f"/services/{elsewhere.pk}/", f"/services/{elsewhere.pk}/edit/"):
        assert client.get(path).status_code == 404
    for path in (
        f"/services/{elsewhere.pk}/delete/",
        f"/services/{elsewhere.pk}/maintenance/",
        f"/integrations/{integration.pk}/rotate/",
        f"/integrations/{integration.pk}/test/",
        f"/integrations/{integration.pk}/delete/",
    ):
        assert client.post(path).status_code == 404, path
    assert client.get(f"/integrations/?service={elsewhere.pk}").status_code == 404
    assert "ledger" not in client.get("/services/").content.decode()
    assert "ledger" not in client.get("/integrations/").content.decode()
    assert Service.objects.filter(pk=elsewhere.pk).exists()
    assert not Incident.objects.filter(service=elsewhere).exists()


@pytest.mark.parametrize("role", ["viewer", "responder"])
def test_viewers_and_responders_read_without_controls_and_are_refused(sre, role):
    client = browser(someone(f"a-{role}", role, sre))
    service = Service.objects.get(name="auth")
    integration = make_integration(service)
    digest = integration.token_digest

    for path in ("/services/", f"/services/{service.pk}/", "/integrations/"):
        page = client.get(path).content.decode()
        for control in (
            "New service",
            "Edit service",
            "Delete service",
            "New integration",
            "Send test alert",
            "Rotate token",
            "Add maintenance window",
        ):
            assert control not in page, (path, control)
    assert client.get("/services/new/").status_code == 403
    assert client.get("/integrations/new/").status_code == 403
    writes = {
        "/services/new/": SERVICE | {"team": sre.pk},
        f"/services/{service.pk}/edit/": SERVICE | {"name": "auth"},
        f"/services/{service.pk}/delete/": {},
        f"/services/{service.pk}/maintenance/": {
            "start": "2027-01-01T10:00",
            "end": "2027-01-01T11:00",
        },
        "/integrations/new/": {"service": service.pk, "kind": "webhook"},
        f"/integrations/{integration.pk}/rotate/": {"grace_seconds": "0"},
        f"/integrations/{integration.pk}/test/": {},
        f"/integrations/{integration.pk}/delete/": {},
    }
    for path, body in writes.items():
        response = client.post(path, body)
        assert response.status_code == 403, path
        assert "Nothing was changed" in response.content.decode()
    integration.refresh_from_db()
    assert integration.token_digest == digest
    assert not MaintenanceWindow.objects.exists()
    assert not Incident.objects.filter(title=TEST_TITLE).exists()
    assert service.integrations.count() == 1 and not Service.objects.filter(name="search").exists()


def shown_token(response) -> str | None:
    found = re.search(
        r'<code class="secret__value" id="secret-token"[^>]*>([^<]+)</code>',
        response.content.decode(),
    )
    return found.group(1) if found else None


def test_a_new_token_is_shown_once_and_works(manager, client):
    web = browser(manager)
    service = Service.objects.get(name="auth")
    response = web.post(
        "/integrations/new/", {"service": service.pk, "kind": "alertmanager", "name": "prod"}
    )
    integration = Integration.objects.get(service=service, name="prod")
    assert response.status_code == 302 and response.url == f"/integrations/{integration.pk}/token/"

    page = web.get(response.url)
    token = shown_token(page)
    assert token and integration.token_hint == token[:6]
    html = page.content.decode()
    assert f"/integrations/alertmanager/{token}/" in html
    assert "will not be shown again" in html
    assert 'data-copy="secret-url"' in html and 'data-copy="secret-token"' in html
    assert "no-store" in page["Cache-Control"]

    again = web.get(response.url)
    assert shown_token(again) is None and token not in again.content.decode()
    assert "not shown again" in again.content.decode()
    assert token not in web.get("/integrations/").content.decode()
    assert token not in web.get(f"/services/{service.pk}/").content.decode()

    # What was shown is what monitoring needs.
    answer = client.post(
        f"/integrations/alertmanager/{token}/",
        {
            "version": "4",
            "alerts": [{"status": "firing", "fingerprint": "f1", "labels": {"alertname": "Up"}}],
        },
        content_type="application/json",
    )
    assert answer.status_code == 202


def test_a_rotated_token_is_shown_once(manager):
    web = browser(manager)
    integration, old = integration_create(service=Service.objects.get(name="edge"), kind="webhook")
    response = web.post(f"/integrations/{integration.pk}/rotate/", {"grace_seconds": "0"})
    token = shown_token(web.get(response.url))
    assert token and token != old
    integration.refresh_from_db()
    assert integration.token_hint == token[:6] and integration.previous_token_digest is None
    assert shown_token(web.get(response.url)) is None


def test_the_integration_form_shows_its_errors_in_place(manager):
    service = Service.objects.get(name="auth")
    response = browser(manager).post(
        "/integrations/new/",
        {"service": service.pk, "kind": "webhook", "heartbeat_interval_seconds": "600"},
    )
    assert response.status_code == 400
    assert field_errors(response) == {
        "Heartbeat interval (seconds)": ["Only heartbeat integrations have an interval."]
    }
    assert not service.integrations.exists()


@pytest.mark.parametrize("kind", ["alertmanager", "grafana", "webhook", "pagerduty"])
def test_a_test_alert_opens_an_incident_through_the_real_path(manager, kind):
    service = Service.objects.get(name="auth")
    integration, _ = integration_create(service=service, kind=kind)
    response = browser(manager).post(f"/integrations/{integration.pk}/test/")
    assert response.status_code == 200
    incident = Incident.objects.get(service=service, title=TEST_TITLE)
    assert incident.urgency == "low" and incident.severity == "info"
    assert Alert.objects.filter(incident=incident, integration=integration).exists()
    page = response.content.decode()
    assert f'href="/incidents/{incident.number}/"' in page
    assert f"Open incident #{incident.number}" in page
    listed = browser(manager).get("/services/").content.decode()
    row = re.search(
        r'<tr>\s*<th scope="row"><a href="/services/\d+/">auth</a>.*?</tr>', listed, re.S
    )
    assert re.findall(r"<td>(.*?)</td>", row.group(0))[-1] == "1"  # its open incidents


def test_a_heartbeat_sends_no_test_alert(manager):
    integration, _ = integration_create(service=Service.objects.get(name="auth"), kind="heartbeat")
    response = browser(manager).post(f"/integrations/{integration.pk}/test/", follow=True)
    assert "No test alert was sent" in response.content.decode()
    assert not Incident.objects.filter(title=TEST_TITLE).exists()


def test_a_maintenance_window_is_read_in_the_viewers_zone(manager):
    client = browser(manager)  # Helena Duarte, in Europe/Lisbon
    service = Service.objects.get(name="auth")
    path = f"/services/{service.pk}/maintenance/"
    # Lisbon moves from 01:00 WET to 02:00 WEST on 28 March 2027: 01:30 does not exist.
    for start, end, field in (
        ("2027-03-28T01:30", "2027-03-28T03:00", "Start"),
        ("2027-03-28T04:00", "2027-03-28T03:00", "End"),
        ("", "2027-03-28T03:00", "Start"),
    ):
        response = client.post(path, {"start": start, "end": end, "reason": "upgrade"})
        assert response.status_code == 400
        assert list(field_errors(response)) == [field]
    assert not MaintenanceWindow.objects.exists()

    response = client.post(
        path, {"start": "2027-03-28T00:30", "end": "2027-03-28T03:00", "reason": "upgrade"}
    )
    assert response.status_code == 302
    window = MaintenanceWindow.objects.get()
    assert window.start == datetime(2027, 3, 28, 0, 30, tzinfo=LISBON)
    assert window.end - window.start == timedelta(hours=1, minutes=30)  # an hour is skipped
    page = client.get(f"/services/{service.pk}/").content.decode()
    assert "Sun 28 Mar 2027, 00:30 +0000" in page and "Sun 28 Mar 2027, 03:00 +0100" in page


def test_a_running_window_ends_early_and_a_window_is_deleted(manager, frozen_now):
    now = frozen_now(datetime(2027, 1, 5, 12, 0, tzinfo=LISBON))
    service = Service.objects.get(name="auth")
    running = MaintenanceWindow.objects.create(
        service=service, start=now - timedelta(hours=1), end=now + timedelta(hours=1)
    )
    planned = MaintenanceWindow.objects.create(
        service=service, start=now + timedelta(days=1), end=now + timedelta(days=1, hours=1)
    )
    client = browser(manager)
    page = client.get(f"/services/{service.pk}/").content.decode()
    assert page.count(">End now</button>") == 1
    client.post(f"/services/{service.pk}/maintenance/{running.pk}/end/")
    running.refresh_from_db()
    assert running.end == now
    client.post(f"/services/{service.pk}/maintenance/{planned.pk}/delete/")
    assert not MaintenanceWindow.objects.filter(pk=planned.pk).exists()


def test_web_writes_are_audited_with_their_actor_and_never_the_token(sre, manager):
    client = browser(manager)
    mark = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()
    client.post("/services/new/", SERVICE | {"team": sre.pk})
    service = Service.objects.get(name="search")
    response = client.post("/integrations/new/", {"service": service.pk, "kind": "webhook"})
    token = shown_token(client.get(response.url))
    entries = AuditEntry.objects.filter(id__gt=mark)
    assert {(e.object_type, e.action, e.actor, e.source) for e in entries} == {
        ("service", "create", manager.user.username, "web"),
        ("integration", "create", manager.user.username, "web"),
    }
    assert token not in str(list(AuditEntry.objects.values()))


@pytest.mark.parametrize(
    "kind, path",
    [
        ("alertmanager", "/integrations/alertmanager/{token}/"),
        ("grafana", "/integrations/grafana/{token}/"),
        ("webhook", "/integrations/webhook/{token}/"),
        ("heartbeat", "/integrations/heartbeat/{token}/"),
        ("pagerduty", "/v2/enqueue"),
    ],
)
def test_each_kind_shows_where_its_monitoring_sends(manager, kind, path):
    client = browser(manager)
    service = Service.objects.get(name="playback")
    response = client.post("/integrations/new/", {"service": service.pk, "kind": kind})
    page = client.get(response.url)
    token = shown_token(page)
    url = re.search(r'id="secret-url"[^>]*>([^<]+)</code>', page.content.decode()).group(1)
    assert url.endswith(path.format(token=token))
    if kind == "heartbeat":
        assert service.integrations.get().heartbeat_interval_seconds == 300


def test_a_rehearsal_twin_is_not_listed_nor_offered_as_a_service(sre, manager):
    """After a rehearsal, its twin (auth-rehearsal) is no service the team runs: not on the
    services page, not offered for a new integration, not in the insights' choice of service."""
    real = Service.objects.get(name="auth")
    twin_for(real)
    client = browser(manager)
    assert "auth-rehearsal" not in client.get("/services/").content.decode()
    assert ">auth<" in client.get("/services/").content.decode()
    assert "auth-rehearsal" not in client.get("/integrations/new/").content.decode()
    assert "auth-rehearsal" not in client.get("/insights/").content.decode()
