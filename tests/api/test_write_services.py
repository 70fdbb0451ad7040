"""Writing services and maintenance windows through the API: team admins only, whole or not at
all; a service that incidents name is archived (its tokens stop, no new incident), not deleted;
a window that no longer covers a held incident lets it page."""

from datetime import timedelta

import pytest

from incidents.models import Incident, Integration, MaintenanceWindow, Page, Service
from incidents.services import engine
from incidents.services.declare import incident_declare
from incidents.services.incidents import incident_resolve
from oncall import clock
from tests.api.third_team import green_team

pytestmark = pytest.mark.django_db

SERVICES, WINDOWS = "/api/v1/services/", "/api/v1/maintenance-windows/"
FORBIDDEN = [("responder", "admin"), ("admin", "respond"), ("admin", "read"), ("viewer", "read")]


def service_body(world, **extra) -> dict:
    return {"team": world.team.pk, "name": "playback", **extra}


def fields_of(answer) -> dict:
    assert answer.status_code == 400, answer.content
    error = answer.json()["error"]
    assert error["code"] == "invalid"
    return error["fields"]


def resolve_every_incident():
    for incident in Incident.objects.filter(status__in=Incident.OPEN):
        incident_resolve(incident=incident, now=clock.now())


# Services


def test_a_team_admin_creates_a_service_paged_through_the_teams_policy(worlds, api):
    red, _ = worlds
    answer = api().post(
        SERVICES,
        service_body(
            red,
            description="Video playback",
            escalation_policy=red.policy.pk,
            urgency_rule="high",
            ack_timeout_minutes=30,
            slack_channel="C0123ABCD",
        ),
    )
    assert answer.status_code == 201, answer.json()
    made = answer.json()
    assert made["name"] == "playback" and made["team"] == {"id": red.team.pk, "name": "Red"}
    assert made["escalation_policy"] == {"id": red.policy.pk, "name": "red-policy"}
    assert made["archived_at"] is None
    service = Service.objects.get(pk=made["id"])
    assert (service.team, service.escalation_policy, service.urgency_rule) == (
        red.team,
        red.policy,
        "high",
    )
    assert (service.ack_timeout_minutes, service.auto_resolve_minutes) == (30, None)
    # Declared on at once, it pages through its policy.
    incident = incident_declare(service=service, title="Buffering", now=clock.now())
    engine.escalation_fire(incident_id=incident.pk, now=clock.now())
    assert Page.objects.filter(incident=incident).exists()


@pytest.mark.parametrize(
    "extra, field",
    [
        ({"name": "not a slug"}, "name"),
        ({"name": "red-cdn"}, "name"),  # taken
        ({"urgency_rule": "urgent"}, "urgency_rule"),
        ({"ack_timeout_minutes": 0}, "ack_timeout_minutes"),
        ({"auto_resolve_minutes": 10**9}, "auto_resolve_minutes"),
        ({"slack_channel": "#general"}, "slack_channel"),
        ({"escalation_policy": "red-policy"}, "escalation_policy"),
    ],
)
def test_a_bad_service_is_refused_naming_the_field_and_nothing_is_stored(worlds, api, extra, field):
    red, _ = worlds
    before = Service.objects.count()
    fields = fields_of(api().post(SERVICES, service_body(red, **extra)))
    assert list(fields) == [field]
    assert Service.objects.count() == before
    if extra.get("name") != "red-cdn":  # its own name is no clash for red-cdn itself
        url = f"{SERVICES}{red.service.pk}/"
        assert list(fields_of(api().put(url, service_body(red, **extra)))) == [field]
        red.service.refresh_from_db()
        assert (red.service.name, red.service.escalation_policy) == ("red-cdn", red.policy)


def test_the_policy_must_be_of_the_services_team(worlds, api):
    red, blue = worlds
    green = green_team(red)
    before = Service.objects.count()
    theirs = fields_of(api().post(SERVICES, service_body(red, escalation_policy=blue.policy.pk)))
    assert theirs == {"escalation_policy": ["There is no such escalation policy in your teams."]}
    other = fields_of(api().post(SERVICES, service_body(red, escalation_policy=green.policy.pk)))
    assert other == {"escalation_policy": ["There is no such escalation policy in the team."]}
    assert Service.objects.count() == before


def test_another_teams_services_do_not_exist_for_writes(worlds, api):
    red, blue = worlds
    client = api()
    created = fields_of(client.post(SERVICES, service_body(blue)))
    assert created == {"team": ["There is no such team in your teams."]}
    url = f"{SERVICES}{blue.service.pk}/"
    for answer in (
        client.patch(url, {"description": "mine now"}),
        client.put(url, service_body(blue)),
        client.delete(url),
    ):
        assert answer.status_code == 404
        assert answer.json() == {"error": {"code": "not_found", "message": "Not found."}}
    blue.service.refresh_from_db()
    assert blue.service.description == "" and blue.service.archived_at is None


@pytest.mark.parametrize("role, scope", FORBIDDEN)
def test_only_a_team_admin_with_an_admin_token_writes_services(worlds, api, role, scope):
    red, _ = worlds
    client = api(role, scope)
    url = f"{SERVICES}{red.service.pk}/"
    for answer in (
        client.post(SERVICES, service_body(red)),
        client.patch(url, {"description": "changed"}),
        client.put(url, service_body(red, name="red-cdn")),
        client.delete(url),
    ):
        assert answer.status_code == 403, answer.json()
        assert "admin role" in answer.json()["error"]["message"]
    assert not Service.objects.filter(name="playback").exists()
    red.service.refresh_from_db()
    assert red.service.description == "" and red.service.archived_at is None


def test_patch_changes_what_it_names_and_put_replaces_the_rest_with_defaults(worlds, api):
    red, _ = worlds
    client = api()
    url = f"{SERVICES}{red.service.pk}/"
    patched = client.patch(url, {"description": "Edge caches", "auto_resolve_minutes": 240})
    assert patched.status_code == 200, patched.json()
    assert patched.json()["description"] == "Edge caches"
    assert patched.json()["escalation_policy"]["id"] == red.policy.pk  # untouched
    red.service.refresh_from_db()
    assert red.service.auto_resolve_minutes == 240

    put = client.put(url, {"team": red.team.pk, "name": "red-edge"})
    assert put.status_code == 200, put.json()
    red.service.refresh_from_db()
    assert red.service.name == "red-edge"
    assert red.service.description == "" and red.service.auto_resolve_minutes is None
    assert red.service.escalation_policy is None  # PUT replaces: left out is the default


def test_a_service_never_moves_to_another_team(worlds, api):
    red, _ = worlds
    green = green_team(red)
    url = f"{SERVICES}{red.service.pk}/"
    fields = fields_of(api().patch(url, {"team": green.team.pk}))
    assert "stays in its team" in fields["team"][0]
    red.service.refresh_from_db()
    assert red.service.team == red.team


def test_a_service_no_incident_names_is_deleted_with_its_integrations(worlds, api):
    red, _ = worlds
    client = api()
    made = client.post(SERVICES, service_body(red)).json()
    integration = client.post(
        "/api/v1/integrations/", {"service": made["id"], "kind": "webhook"}
    ).json()
    assert client.delete(f"{SERVICES}{made['id']}/").status_code == 204
    assert not Service.objects.filter(pk=made["id"]).exists()
    assert not Integration.objects.filter(pk=integration["id"]).exists()
    assert client.get(f"{SERVICES}{made['id']}/").status_code == 404


def test_a_service_with_open_incidents_is_not_deleted_and_the_answer_names_them(worlds, api):
    red, _ = worlds
    answer = api().delete(f"{SERVICES}{red.service.pk}/")
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "conflict"
    assert f"#{red.incident.pk}" in answer.json()["error"]["message"]
    red.service.refresh_from_db()
    assert red.service.archived_at is None
    assert Integration.objects.filter(service=red.service).exists()


def test_a_service_with_past_incidents_is_archived_its_tokens_stop_and_it_takes_no_incident(
    worlds, api, client
):
    red, _ = worlds
    admin = api()
    token = red.integration_token
    ingest = f"/integrations/webhook/{token}/"
    firing = {"title": "Disk full", "status": "firing"}
    assert client.post(ingest, firing, content_type="application/json").status_code == 202
    resolve_every_incident()
    incidents = Incident.objects.filter(service=red.service).count()

    assert admin.delete(f"{SERVICES}{red.service.pk}/").status_code == 204

    red.service.refresh_from_db()
    assert red.service.archived_at is not None
    assert red.service.escalation_policy is None  # so the policy can be deleted
    assert Incident.objects.filter(service=red.service).count() == incidents  # history kept
    assert not Integration.objects.filter(service=red.service).exists()
    assert client.post(ingest, firing, content_type="application/json").status_code == 404
    # Hidden from the list unless asked for; still readable by its id.
    listed = [s["id"] for s in admin.get(SERVICES).json()["results"]]
    assert red.service.pk not in listed
    archived = admin.get(SERVICES, {"archived": "true"}).json()["results"]
    assert [s["id"] for s in archived] == [red.service.pk]
    assert admin.get(f"{SERVICES}{red.service.pk}/").json()["archived_at"] is not None
    # No new incident, no change, no integration, no window.
    declared = admin.post("/api/v1/incidents/", {"service": red.service.pk, "title": "Again"})
    assert "archived" in fields_of(declared)["service"][0]
    changed = admin.patch(f"{SERVICES}{red.service.pk}/", {"description": "back"})
    assert changed.status_code == 409 and "archived" in changed.json()["error"]["message"]
    integration = admin.post(
        "/api/v1/integrations/", {"service": red.service.pk, "kind": "webhook"}
    )
    assert "archived" in fields_of(integration)["service"][0]
    start = clock.now()
    window = admin.post(
        WINDOWS, {"service": red.service.pk, "start": start, "end": start + timedelta(hours=1)}
    )
    assert "archived" in fields_of(window)["service"][0]
    assert Incident.objects.filter(service=red.service).count() == incidents
    # Deleting it again changes nothing; its policy can now go.
    assert admin.delete(f"{SERVICES}{red.service.pk}/").status_code == 204
    assert admin.delete(f"/api/v1/escalation-policies/{red.policy.pk}/").status_code == 204


# Maintenance windows


def window_body(world, start, hours=2, **extra) -> dict:
    return {"service": world.service.pk, "start": start, "end": start + timedelta(hours=hours)}


def test_a_team_admin_opens_changes_and_deletes_a_maintenance_window(worlds, api):
    red, _ = worlds
    client = api()
    start = clock.now()
    made = client.post(WINDOWS, {**window_body(red, start), "reason": "Kernel upgrade"})
    assert made.status_code == 201, made.json()
    window = MaintenanceWindow.objects.get(pk=made.json()["id"])
    assert window.reason == "Kernel upgrade" and window.end == start + timedelta(hours=2)
    assert window.created_by == red.people["admin"].user
    url = f"{WINDOWS}{window.pk}/"
    later = start + timedelta(hours=5)
    assert client.patch(url, {"end": later}).status_code == 200
    window.refresh_from_db()
    assert window.end == later
    replaced = client.put(url, window_body(red, start, hours=1))
    assert replaced.status_code == 200 and replaced.json()["reason"] == ""
    assert client.delete(url).status_code == 204
    assert not MaintenanceWindow.objects.filter(pk=window.pk).exists()


@pytest.mark.parametrize(
    "change, field",
    [
        ({"end": "START"}, "end"),  # end must come after start
        ({"end": "2026-11-02T08:00:00"}, "end"),  # naive
        ({"start": "soon"}, "start"),
        ({"reason": "x" * 201}, "reason"),
    ],
)
def test_a_bad_window_is_refused_naming_the_field_and_nothing_is_stored(worlds, api, change, field):
    red, _ = worlds
    start = clock.now()
    body = window_body(red, start)
    body.update({k: start if v == "START" else v for k, v in change.items()})
    assert list(fields_of(api().post(WINDOWS, body))) == [field]
    assert not MaintenanceWindow.objects.exists()
    # The same on a change: the stored window stays as it was.
    window = MaintenanceWindow.objects.create(
        service=red.service, start=start, end=start + timedelta(hours=1)
    )
    for write in (api().patch, api().put):
        assert list(fields_of(write(f"{WINDOWS}{window.pk}/", body))) == [field]
    window.refresh_from_db()
    assert (window.end, window.reason) == (start + timedelta(hours=1), "")


def test_another_teams_windows_and_services_do_not_exist_for_writes(worlds, api):
    red, blue = worlds
    start = clock.now()
    client = api()
    refused = fields_of(client.post(WINDOWS, window_body(blue, start)))
    assert refused == {"service": ["There is no such service in your teams."]}
    theirs = MaintenanceWindow.objects.create(
        service=blue.service, start=start, end=start + timedelta(hours=1)
    )
    url = f"{WINDOWS}{theirs.pk}/"
    for answer in (
        client.patch(url, {"reason": "mine"}),
        client.put(url, window_body(red, start)),
        client.delete(url),
    ):
        assert answer.status_code == 404
    theirs.refresh_from_db()
    assert theirs.reason == "" and theirs.service == blue.service


@pytest.mark.parametrize("role, scope", FORBIDDEN)
def test_only_a_team_admin_with_an_admin_token_writes_windows(worlds, api, role, scope):
    red, _ = worlds
    start = clock.now()
    window = MaintenanceWindow.objects.create(
        service=red.service, start=start, end=start + timedelta(hours=1)
    )
    client = api(role, scope)
    url = f"{WINDOWS}{window.pk}/"
    for answer in (
        client.post(WINDOWS, window_body(red, start)),
        client.patch(url, {"reason": "changed"}),
        client.put(url, window_body(red, start)),
        client.delete(url),
    ):
        assert answer.status_code == 403, answer.json()
    assert MaintenanceWindow.objects.get().reason == ""


def test_ending_a_window_early_pages_for_the_incident_it_held(worlds, api):
    red, _ = worlds
    client = api()
    now = clock.now()
    made = client.post(WINDOWS, window_body(red, now - timedelta(minutes=5), hours=4)).json()
    incident = incident_declare(service=red.service, title="Packet loss", now=now)
    engine.escalation_fire(incident_id=incident.pk, now=now)
    incident.refresh_from_db()
    assert incident.esc_due_at > now + timedelta(hours=3)  # held until the window ends
    assert not Page.objects.filter(incident=incident).exists()

    assert client.delete(f"{WINDOWS}{made['id']}/").status_code == 204

    incident.refresh_from_db()
    later = clock.now()
    assert incident.esc_due_at <= later  # due at once
    engine.escalation_fire(incident_id=incident.pk, now=later)
    assert Page.objects.filter(incident=incident).exists()
