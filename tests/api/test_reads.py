"""The read endpoints, in the shapes CONTRACT.md promises: who is on call, incidents and what
they hold, and the configuration, with addresses masked and integration tokens never shown."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.models import Alert, Incident, Page
from incidents.services.declare import incident_declare
from oncall import clock
from oncall.models import Override
from tests.api.conftest import T0

pytestmark = pytest.mark.django_db


def test_oncall_lists_every_visible_schedule_with_who_now_until_when_and_who_next(worlds, api):
    red, _ = worlds
    answer = api("viewer", "read").get("/api/v1/oncall/", {"at": "2026-11-02T09:00:00Z"})
    assert answer.status_code == 200
    (entry,) = answer.json()
    responder, admin = red.people["responder"], red.people["admin"]
    assert entry == {
        "schedule": {"id": red.schedule.pk, "name": "red-primary"},
        "team": red.team.pk,
        # The layer hands off weekly at 09:00 UTC (10:00 in Lisbon, where it is counted).
        "now": {"person": {"id": admin.pk, "name": "red admin"}, "until": "2026-11-09T09:00:00Z"},
        "next": {
            "person": {"id": responder.pk, "name": "red responder"},
            "from": "2026-11-09T09:00:00Z",
        },
    }


def test_an_oncall_answer_is_kept_until_the_schedule_changes(worlds, api):
    red, _ = worlds
    client = api("viewer", "read")
    at = {"at": "2026-11-03T09:00:00Z"}
    first = client.get("/api/v1/oncall/", at).json()[0]
    assert first["now"]["person"]["name"] == "red admin"
    with CaptureQueriesContext(connection) as asked:
        assert client.get("/api/v1/oncall/", at).json()[0] == first
    assert not [q for q in asked.captured_queries if "oncall_layer" in q["sql"]]  # kept
    Override.objects.create(
        schedule=red.schedule,
        person=red.people["viewer"],
        start=T0,
        end=T0 + timedelta(days=2),
    )
    again = client.get("/api/v1/oncall/", at).json()[0]
    assert again["now"]["person"]["name"] == "red viewer"  # the version moved: asked afresh


def test_one_schedule_at_an_instant_and_its_shifts(worlds, api):
    red, _ = worlds
    client = api("viewer", "read")
    base = f"/api/v1/schedules/{red.schedule.pk}"
    at = client.get(f"{base}/oncall/", {"at": "2026-11-10T00:00:00+01:00"}).json()
    assert at["now"]["person"]["name"] == "red responder"
    shifts = client.get(
        f"{base}/shifts/", {"since": "2026-11-02T00:00:00Z", "until": "2026-11-16T00:00:00Z"}
    ).json()
    assert [(s["start"], s["end"], s["person"]["name"]) for s in shifts] == [
        ("2026-11-02T00:00:00Z", "2026-11-02T09:00:00Z", "red responder"),
        ("2026-11-02T09:00:00Z", "2026-11-09T09:00:00Z", "red admin"),
        ("2026-11-09T09:00:00Z", "2026-11-16T00:00:00Z", "red responder"),
    ]
    naive = client.get(f"{base}/shifts/", {"since": "2026-11-02T00:00:00"})
    assert naive.status_code == 400 and "since" in naive.json()["error"]["fields"]
    backwards = client.get(
        f"{base}/shifts/", {"since": "2026-11-10T00:00:00Z", "until": "2026-11-02T00:00:00Z"}
    )
    assert backwards.status_code == 400 and "until" in backwards.json()["error"]["fields"]


def test_a_schedule_carries_its_layers_and_its_overrides_are_listed(worlds, api):
    red, _ = worlds
    Override.objects.create(
        schedule=red.schedule, person=red.people["viewer"], start=T0, end=T0 + timedelta(hours=4)
    )
    client = api("viewer", "read")
    schedule = client.get(f"/api/v1/schedules/{red.schedule.pk}/").json()
    (layer,) = schedule["layers"]
    assert [p["name"] for p in layer["participants"]] == ["red responder", "red admin"]
    layers = client.get(f"/api/v1/schedules/{red.schedule.pk}/layers/").json()
    assert [item["id"] for item in layers["results"]] == [layer["id"]]
    overrides = client.get(f"/api/v1/schedules/{red.schedule.pk}/overrides/").json()
    (override,) = overrides["results"]
    assert override["person"]["name"] == "red viewer"
    later = client.get(
        f"/api/v1/schedules/{red.schedule.pk}/overrides/", {"since": "2026-11-03T00:00:00Z"}
    )
    assert later.json()["results"] == []


def test_incidents_are_filtered_ordered_and_paginated_by_cursor(worlds, api):
    red, _ = worlds
    for n in range(4):
        incident_declare(service=red.service, title=f"Buffering {n}", now=T0 + timedelta(hours=n))
    Incident.objects.filter(title="Buffering 1").update(status="resolved")
    client = api("viewer", "read")
    first = client.get("/api/v1/incidents/", {"status": "triggered", "limit": 2}).json()
    assert [i["title"] for i in first["results"]] == ["Buffering 3", "Buffering 2"]
    assert first["previous"] is None and first["next"]
    second = client.get(first["next"]).json()
    assert [i["title"] for i in second["results"]] == ["Buffering 0", "red is down"]
    assert second["next"] is None
    shape = second["results"][0]
    assert {"number", "title", "status", "urgency", "service", "created_at"} <= set(shape)
    assert {"acknowledged_at", "resolved_at"} <= set(shape)
    assert shape["created_at"].endswith("Z")
    window = client.get(
        "/api/v1/incidents/",
        {"since": "2026-11-02T10:00:00Z", "until": "2026-11-02T12:00:00Z", "ordering": "id"},
    ).json()
    assert [i["title"] for i in window["results"]] == ["Buffering 1", "Buffering 2"]
    both = client.get("/api/v1/incidents/", {"status": "resolved,triggered", "urgency": "high"})
    assert len(both.json()["results"]) == 5
    by_team = client.get("/api/v1/incidents/", {"team": red.team.pk, "service": red.service.pk})
    assert len(by_team.json()["results"]) == 5
    bad = client.get("/api/v1/incidents/", {"status": "sleeping"})
    assert bad.status_code == 400 and "status" in bad.json()["error"]["fields"]
    assert client.get("/api/v1/incidents/", {"cursor": "nonsense"}).status_code == 400


def test_the_list_costs_the_same_queries_whatever_the_page_size(worlds, api):
    red, _ = worlds
    for n in range(30):
        incident_declare(service=red.service, title=f"Storm {n}", now=T0)
    client = api("viewer", "read")
    client.get("/api/v1/oncall/")  # the token's first use is recorded: not part of the count
    counts = []
    for size in (2, 25):
        with CaptureQueriesContext(connection) as asked:
            assert len(client.get("/api/v1/incidents/", {"limit": size}).json()["results"]) == size
        counts.append(len(asked.captured_queries))
    assert counts[0] == counts[1]


def test_an_incident_its_alerts_pages_and_timeline(worlds, api):
    red, _ = worlds
    incident = red.incident
    Alert.objects.create(
        incident=incident,
        integration=red.integration,
        action="trigger",
        dedup_key="k",
        title="CDN 5xx",
        received_at=T0,
    )
    Page.objects.create(
        incident=incident,
        step=0,
        loop=0,
        person=red.people["responder"],
        rule_id=1,
        kind="sms",
        address="+12125550001",
        urgency="high",
        state="failed",
        due_at=T0,
        created_at=T0,
        error="Twilio refused +12125550001: unreachable",
    )
    client = api("viewer", "read")
    base = f"/api/v1/incidents/{incident.pk}"
    whole = client.get(f"{base}/").json()
    assert whole["number"] == incident.pk and whole["title"] == "red is down"
    (alert,) = client.get(f"{base}/alerts/").json()["results"]
    assert alert["title"] == "CDN 5xx"
    (page,) = client.get(f"{base}/pages/").json()["results"]
    assert page["channel"] == "sms" and page["state"] == "failed"
    assert page["address"] == "•••0001"
    assert page["failure_reason"] == "Twilio refused •••0001: unreachable"
    timeline = client.get(f"{base}/timeline/").json()["results"]
    assert timeline[0]["kind"] == "triggered"
    assert {"at", "kind", "actor", "source"} <= set(timeline[0])
    assert client.get("/api/v1/incidents/999999/").status_code == 404
    assert client.get("/api/v1/incidents/abc/").status_code == 404


def test_the_configuration_reads_and_hides_what_it_must(worlds, api):
    red, _ = worlds
    viewer = api("viewer", "read")
    (team,) = viewer.get("/api/v1/teams/").json()["results"]
    assert team["name"] == "Red" and {m["role"] for m in team["members"]} == {
        "viewer",
        "responder",
        "admin",
    }
    people = viewer.get("/api/v1/people/").json()["results"]
    assert sorted(p["name"] for p in people) == ["red admin", "red responder", "red viewer"]
    methods = viewer.get("/api/v1/contact-methods/").json()["results"]
    own = red.people["viewer"].pk
    shown = {m["person"]["id"]: m["address"] for m in methods}
    assert shown[own] == "+12125550000" and shown[red.people["admin"].pk] == "•••0002"
    admin_view = api("admin", "admin").get("/api/v1/contact-methods/").json()["results"]
    assert "+12125550001" in {m["address"] for m in admin_view}
    rules = viewer.get("/api/v1/notification-rules/").json()["results"]
    assert len(rules) == 6 and rules[0]["name"].startswith("SMS after 0 min")
    (service,) = viewer.get("/api/v1/services/").json()["results"]
    assert service["escalation_policy"] == {"id": red.policy.pk, "name": "red-policy"}
    (policy,) = viewer.get("/api/v1/escalation-policies/").json()["results"]
    assert policy["steps"][0]["targets"][0]["schedule"]["name"] == "red-primary"
    integrations = viewer.get("/api/v1/integrations/")
    assert integrations.json()["results"][0]["name"] == "red prometheus"
    assert red.integration_token not in integrations.content.decode()
    assert red.integration_token[:6] not in integrations.content.decode()
    assert viewer.get("/api/v1/maintenance-windows/").json()["results"] == []
    assert clock.now()  # the clock is the project's


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/incidents/", "/api/v1/audit/"])
def test_an_instant_with_any_offset_python_reads_filters_or_is_refused_never_a_500(
    worlds, api, path
):
    client = api("admin", "admin")
    # ISO-8601 allows offsets PostgreSQL refuses (past 15:59): they are read as the UTC instant.
    far = client.get(path, {"since": "2026-11-01T09:22:16+22:17"})
    assert far.status_code == 200
    # An offset that pushes the instant out of the years 1 to 9999 is named as the problem.
    edge = client.get(path, {"until": "0001-01-01T00:00:00+22:17"})
    assert edge.status_code == 400
    assert edge.json()["error"]["fields"] == {
        "until": ["Give an instant between the years 1 and 9999."]
    }
