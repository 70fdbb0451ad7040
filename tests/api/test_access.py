"""Scopes and roles: a request may do the lesser of its token's scope and its person's role in
the team; a superuser acts on every team. Errors share one body; too many requests get 429."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from incidents.models import Incident, Page
from incidents.services import engine
from oncall import clock
from oncall.models import Membership
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db


def declare(client, world, **extra):
    body = {"service": world.service.pk, "title": "Viewers see buffering", **extra}
    return client.post("/api/v1/incidents/", body, format="json")


@pytest.mark.parametrize(
    "role, scope, allowed",
    [
        ("admin", "read", False),  # a read token reads, whoever holds it
        ("viewer", "admin", False),  # a viewer stays a viewer with an admin token
        ("viewer", "respond", False),
        ("responder", "respond", True),
        ("responder", "admin", True),
        ("admin", "respond", True),
    ],
)
def test_declaring_needs_a_responder_role_and_a_respond_or_admin_token(
    worlds, api, role, scope, allowed
):
    red, _ = worlds
    before = Incident.objects.count()
    answer = declare(api(role, scope), red)
    if allowed:
        assert answer.status_code == 201, answer.json()
        assert Incident.objects.count() == before + 1
    else:
        assert answer.status_code == 403
        error = answer.json()["error"]
        assert error["code"] == "permission_denied"
        assert "responder role" in error["message"]
        assert Incident.objects.count() == before


def test_a_declared_incident_pages_the_on_call_as_an_alert_would(worlds, api):
    red, _ = worlds
    answer = declare(api("responder", "respond"), red, urgency="low", details="From Brazil")
    assert answer.status_code == 201
    made = answer.json()
    assert made["status"] == "triggered" and made["urgency"] == "low"
    assert made["service"] == {"id": red.service.pk, "name": red.service.name}
    assert made["details"] == {"text": "From Brazil"}
    incident = Incident.objects.get(pk=made["number"])
    assert incident.timeline.get(kind="triggered").source == "api"
    assert incident.esc_due_at is not None  # due at once: the engine's next run pages
    engine.escalation_fire(incident_id=incident.pk, now=clock.now())  # what the worker does
    paged = Page.objects.get(incident=incident)
    assert paged.person in (red.people["responder"], red.people["admin"])  # the on-call


def test_declaring_by_the_services_name_works_and_bad_input_names_the_field(worlds, api):
    red, blue = worlds
    client = api("responder", "respond")
    assert declare(client, red, service=red.service.name).status_code == 201
    before = Incident.objects.count()
    for body, field in [
        ({"service": red.service.pk}, "title"),
        ({"service": red.service.pk, "title": "x", "urgency": "urgent"}, "urgency"),
        ({"service": blue.service.pk, "title": "Not ours"}, "service"),
        ({"service": "no-such-service", "title": "x"}, "service"),
    ]:
        answer = client.post("/api/v1/incidents/", body, format="json")
        assert answer.status_code == 400, body
        error = answer.json()["error"]
        assert error["code"] == "invalid" and field in error["fields"], error
        assert field in error["message"]
    bad_json = client.post("/api/v1/incidents/", "{", content_type="application/json")
    assert bad_json.status_code == 400 and bad_json.json()["error"]["code"] == "invalid_json"
    assert Incident.objects.count() == before


def test_a_superuser_acts_on_every_team(worlds):
    red, blue = worlds
    root = get_user_model().objects.create_superuser("root", password="x")
    client = APIClient()
    client.force_authenticate(root)
    assert client.get(f"/api/v1/incidents/{blue.incident.pk}/").status_code == 200
    assert declare(client, red).status_code == 201


def test_no_role_in_the_team_is_a_404_even_for_an_admin_elsewhere(worlds, api):
    red, blue = worlds
    answer = declare(api("admin", "admin", team="blue"), red)
    assert answer.status_code == 400  # the service does not exist for blue's admin
    Membership.objects.filter(person=blue.people["admin"]).delete()
    assert api("admin", "admin", team="blue").get("/api/v1/teams/").json()["results"] == []


def test_an_unknown_api_path_answers_in_the_error_body(worlds, api):
    answer = api().get("/api/v1/nothing-here/")
    assert answer.status_code == 404
    assert answer.json() == {
        "error": {"code": "not_found", "message": "There is no such API endpoint."}
    }


def test_too_many_requests_from_one_token_get_429_with_retry_after(worlds, settings):
    red, _ = worlds
    settings.PLANTAO_API_RATE = "3/min"
    busy = client_for(red.people["viewer"], "read")
    other = client_for(red.people["viewer"], "read")
    assert [busy.get("/api/v1/oncall/").status_code for _ in range(3)] == [200] * 3
    refused = busy.get("/api/v1/oncall/")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert refused.json()["error"]["code"] == "throttled"
    assert other.get("/api/v1/oncall/").status_code == 200  # counted per token
