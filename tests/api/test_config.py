"""POST /api/v1/config/plan/ and /api/v1/config/apply/: a configuration file through the API."""

import pytest
from django.contrib.auth import get_user_model

from incidents.models import Integration, Service
from oncall.models import AuditEntry, Person, Team

from .conftest import T0, client_for

NEW_TEAM = """\
version: 1
teams:
  - name: Video
    members:
      - {person: vera@video.example, role: admin}
people:
  - email: vera@video.example
    name: Vera
    time_zone: Europe/Lisbon
schedules:
  - name: Video primary
    team: Video
    layers:
      - name: Weekly
        handoff: 2026-11-02T09:00:00+00:00
        time_zone: Europe/Lisbon
        participants: [vera@video.example]
escalation_policies:
  - name: Video default
    team: Video
    steps:
      - targets: [{schedule: Video primary}]
services:
  - name: encoder
    team: Video
    escalation_policy: Video default
    integrations: [{kind: alertmanager, name: prod}]
"""


@pytest.fixture
def root(worlds, frozen_now):
    frozen_now(T0)
    user = get_user_model().objects.create_superuser("root", "root@example.org", "pw")
    return client_for(Person.objects.create(user=user, display_name="Root"), "admin")


def with_emails(world) -> None:
    for role, person in world.people.items():
        person.user.email = f"{role}@{world.team.slug}.example"
        person.user.save()


def red_file(world, description: str = "") -> str:
    """Red's own set-up as a file: its people, its schedule and policy, its service."""
    people = world.people
    members = "".join(
        f"      - {{person: {p.user.email}, role: {role}}}\n" for role, p in people.items()
    )
    persons = "".join(
        f"  - {{email: {p.user.email}, name: {p.display_name}}}\n" for p in people.values()
    )
    return (
        "version: 1\nteams:\n  - name: Red\n    slug: red\n    members:\n"
        + members
        + "people:\n"
        + persons
        + "services:\n  - name: red-cdn\n    team: Red\n"
        + (f"    description: {description}\n" if description else "")
    )


def test_a_plan_says_what_would_change_and_writes_nothing(root):
    entries, teams = AuditEntry.objects.count(), Team.objects.count()
    answer = root.post("/api/v1/config/plan/", {"file": NEW_TEAM}, format="json")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    created = {(c["kind"], c["name"]) for c in body["changes"] if c["action"] == "create"}
    assert {("team", "Video"), ("service", "encoder"), ("schedule", "Video primary")} <= created
    assert body["summary"].startswith("Plan: ") and "to create" in body["text"]
    assert (AuditEntry.objects.count(), Team.objects.count()) == (entries, teams)


def test_applying_makes_it_all_names_the_file_and_a_second_apply_changes_nothing(root):
    answer = root.post(
        "/api/v1/config/apply/?name=video.yaml",
        NEW_TEAM.encode(),
        content_type="application/yaml",
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["applied"] is True
    (made,) = body["integrations"]
    assert (made["service"], made["kind"], made["name"]) == ("encoder", "alertmanager", "prod")
    assert made["url"].endswith(f"/integrations/alertmanager/{made['token']}/")
    encoder = Service.objects.get(name="encoder")
    assert encoder.escalation_policy.name == "Video default"
    assert Integration.objects.filter(service=encoder, kind="alertmanager").count() == 1
    entries = AuditEntry.objects.filter(origin="video.yaml")
    assert entries.exists()
    assert set(entries.values_list("source", "actor", "token_name").distinct()) == {
        ("config", "root", "admin token")
    }
    before = AuditEntry.objects.count()
    again = root.post("/api/v1/config/apply/", {"file": NEW_TEAM}, format="json").json()
    assert again["applied"] is False and again["integrations"] == []
    assert again["summary"] == "No changes: the database already matches the file."
    assert AuditEntry.objects.count() == before


def test_mistakes_come_back_with_their_lines_and_nothing_is_written(root):
    broken = NEW_TEAM.replace("time_zone: Europe/Lisbon\nschedules", "time_zone: Lisbon\nschedules")
    broken = broken.replace("{schedule: Video primary}", "{schedule: Video secondary}")
    answer = root.post("/api/v1/config/apply/", {"file": broken}, format="json")
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "invalid_config"
    assert [(p["line"], p["path"]) for p in error["problems"]] == [
        (9, "people[0].time_zone"),
        (22, "escalation_policies[0].steps[0].targets[0].schedule"),
    ]
    assert not Team.objects.filter(name="Video").exists()
    assert root.post("/api/v1/config/plan/", [1, 2], format="json").status_code == 400
    assert root.post("/api/v1/config/plan/", {"file": "version: 2\n"}, format="json").json()[
        "error"
    ]["problems"] == [{"line": 1, "path": "version", "message": "must be 1 (got 2)"}]


def test_a_team_admin_applies_a_file_of_their_own_team_only(api, worlds, frozen_now):
    frozen_now(T0)
    red, blue = worlds
    with_emails(red)
    with_emails(blue)
    changed = api("admin").post(
        "/api/v1/config/apply/", {"file": red_file(red, "Delivery")}, format="json"
    )
    assert changed.status_code == 200, changed.content
    assert Service.objects.get(name="red-cdn").description == "Delivery"

    blue_too = red_file(red).replace("Red", "Blue").replace("slug: red", "slug: blue")
    refused = api("admin").post("/api/v1/config/apply/", {"file": blue_too}, format="json")
    assert refused.status_code == 403
    assert "not an admin of 'Blue'" in refused.json()["error"]["message"]
    new_team = api("admin").post("/api/v1/config/plan/", {"file": NEW_TEAM}, format="json")
    assert new_team.status_code == 403
    assert "Only a superuser may create teams: 'Video'" in new_team.json()["error"]["message"]

    stranger = red_file(red).replace(
        "people:\n", f"people:\n  - {{email: {blue.people['viewer'].user.email}, name: X}}\n"
    )
    named = api("admin").post("/api/v1/config/plan/", {"file": stranger}, format="json")
    assert named.status_code == 403 and "viewer@blue.example" in named.json()["error"]["message"]
    for role, scope in (("admin", "respond"), ("responder", "admin"), ("viewer", "admin")):
        answer = api(role, scope).post(
            "/api/v1/config/apply/", {"file": red_file(red, "x")}, format="json"
        )
        assert answer.status_code == 403, (role, scope)
    assert Service.objects.get(name="red-cdn").description == "Delivery"
