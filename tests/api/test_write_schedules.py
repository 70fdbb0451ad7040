"""Writing schedules through the API: a team admin creates one with its layers (members,
restrictions) whole or not at all, renames it, replaces its layers, and deletes it unless a
policy still pages it; another team's schedules do not exist, and smaller roles get 403."""

import pytest

from incidents.models import EscalationTarget
from oncall.models import Layer, Override, Schedule
from tests.api.conftest import T0
from tests.api.schedule_bodies import (
    error_fields,
    layer_body,
    oncall_now,
    schedule_body,
    stored,
)

pytestmark = pytest.mark.django_db

OFFICE_HOURS = {"kind": "daily", "start_time": "09:00", "end_time": "17:00"}


def test_an_admin_creates_a_schedule_with_its_layers_and_who_is_on_call_follows(worlds, api):
    red, _ = worlds
    people = red.people
    body = schedule_body(
        red,
        layer_body(people["responder"], people["admin"]),
        layer_body(people["viewer"], name="office hours", restrictions=[OFFICE_HOURS]),
        description="Second line",
    )
    answer = api("admin", "admin").post("/api/v1/schedules/", body, format="json")
    assert answer.status_code == 201, answer.json()
    made = answer.json()
    assert made["name"] == "red-secondary" and made["description"] == "Second line"
    assert made["team"] == {"id": red.team.pk, "name": "Red"}
    weekly, office = made["layers"]
    assert [p["name"] for p in weekly["participants"]] == ["red responder", "red admin"]
    assert office["restrictions"] == [
        {
            "kind": "daily",
            "start_time": "09:00:00",
            "end_time": "17:00:00",
            "start_weekday": None,
            "end_weekday": None,
            "duration": 8 * 3600,
        }
    ]
    schedule = Schedule.objects.get(pk=made["id"])
    assert schedule.team == red.team and schedule.layers.count() == 2
    # The office-hours layer is on top: it wins from 09:00 to 17:00, the weekly one elsewhere.
    reader = api("viewer", "read")
    assert oncall_now(reader, schedule, "2026-11-02T10:00:00Z") == "red viewer"
    assert oncall_now(reader, schedule, "2026-11-02T20:00:00Z") == "red admin"


@pytest.mark.parametrize(
    ("second", "field", "message"),
    [
        ({"participants": []}, "layers[1].participants", "A layer needs at least one member."),
        ({"time_zone": "Europe/Lisboa"}, "layers[1].time_zone", "is not a known time zone"),
        ({"handoff": "2026-10-26T09:00:00"}, "layers[1].handoff", "Give a time zone"),
        ({"position": 0}, "layers[1].position", "Another layer of the schedule has position 0"),
        ({"turn_unit": "months"}, "layers[1].turn_unit", "is not a valid choice"),
        (
            {"active_from": "2026-11-02T00:00:00Z", "active_until": "2026-11-01T00:00:00Z"},
            "layers[1].active_until",
            "The layer must end after it starts.",
        ),
        (
            {"restrictions": [{"kind": "daily", "start_time": "09:00", "end_time": "09:00"}]},
            "layers[1].restrictions[0].end_time",
            "Restriction end must differ from its start.",
        ),
        (
            {"restrictions": [{"kind": "daily", "start_time": "09:00", "duration": 90_000}]},
            "layers[1].restrictions[0]",
            "at most 24 hours",
        ),
    ],
)
def test_a_schedule_whose_second_layer_is_invalid_stores_nothing(
    worlds, api, second, field, message
):
    red, _ = worlds
    before = stored()
    body = schedule_body(
        red,
        layer_body(red.people["admin"]),
        layer_body(red.people["responder"], **second),
    )
    fields = error_fields(api().post("/api/v1/schedules/", body, format="json"))
    assert list(fields) == [field]
    assert message in " ".join(fields[field])
    assert stored() == before  # no schedule, and no first layer either
    assert not Schedule.objects.filter(name="red-secondary").exists()


def test_a_bad_schedule_names_every_problem_at_once(worlds, api):
    red, _ = worlds
    body = schedule_body(
        red,
        layer_body(red.people["admin"], time_zone="Europe/Lisboa"),
        name="red-primary",  # taken
        time_zone="Mars/Olympus_Mons",
    )
    fields = error_fields(api().post("/api/v1/schedules/", body, format="json"))
    assert set(fields) == {"name", "time_zone", "layers[0].time_zone"}
    assert "already exists" in fields["name"][0]


def test_another_teams_person_is_refused_as_not_a_member_without_being_named(worlds, api):
    red, blue = worlds
    stranger = blue.people["admin"]
    body = schedule_body(red, layer_body(red.people["admin"], stranger))
    answer = api().post("/api/v1/schedules/", body, format="json")
    assert error_fields(answer) == {
        "layers[0].participants": [f"Person {stranger.pk} is not a member of the team."]
    }
    assert "blue" not in answer.content.decode()
    assert not Schedule.objects.filter(name="red-secondary").exists()


def test_another_teams_schedules_cannot_be_created_changed_or_deleted(worlds, api):
    red, blue = worlds
    client = api("admin", "admin")  # red's admin
    before = stored()
    theirs = schedule_body(blue, layer_body(blue.people["admin"]))
    answer = client.post("/api/v1/schedules/", theirs, format="json")
    assert error_fields(answer) == {"team": ["There is no such team in your teams."]}
    url = f"/api/v1/schedules/{blue.schedule.pk}/"
    for method, body in [
        ("patch", {"name": "ours now"}),
        ("put", {"name": "ours now", "time_zone": "UTC"}),
        ("delete", None),
    ]:
        answer = getattr(client, method)(url, body, format="json")
        assert answer.status_code == 404, method
        assert answer.json() == {"error": {"code": "not_found", "message": "Not found."}}
    assert stored() == before
    blue.schedule.refresh_from_db()
    assert blue.schedule.name == "blue-primary"


@pytest.mark.parametrize(
    ("role", "scope"),
    [("responder", "respond"), ("admin", "respond"), ("admin", "read"), ("viewer", "admin")],
)
def test_only_a_team_admin_with_an_admin_token_writes_schedules(worlds, api, role, scope):
    red, _ = worlds
    client = api(role, scope)
    before = stored()
    url = f"/api/v1/schedules/{red.schedule.pk}/"
    answers = [
        client.post(
            "/api/v1/schedules/",
            schedule_body(red, layer_body(red.people["admin"])),
            format="json",
        ),
        client.patch(url, {"name": "renamed"}, format="json"),
        client.put(url, {"name": "renamed", "time_zone": "UTC"}, format="json"),
        client.delete(url),
    ]
    for answer in answers:
        assert answer.status_code == 403, answer.content
        error = answer.json()["error"]
        assert error["code"] == "permission_denied" and "admin role" in error["message"]
    assert stored() == before
    red.schedule.refresh_from_db()
    assert red.schedule.name == "red-primary"


def test_an_admin_renames_a_schedule_and_puts_its_layers_anew(worlds, api):
    red, blue = worlds
    client = api()
    url = f"/api/v1/schedules/{red.schedule.pk}/"
    (old_layer,) = red.schedule.layers.all()
    renamed = client.patch(url, {"name": "red-first", "description": "Pages first"})
    assert renamed.status_code == 200, renamed.json()
    assert renamed.json()["name"] == "red-first"
    assert [layer["id"] for layer in renamed.json()["layers"]] == [old_layer.pk]  # kept
    version = renamed.json()["version"]

    people = red.people
    body = {
        "name": "red-primary",
        "time_zone": "UTC",
        "layers": [
            layer_body(people["viewer"]),
            layer_body(people["responder"], name="top", restrictions=[OFFICE_HOURS]),
        ],
    }
    put = client.put(url, body, format="json")
    assert put.status_code == 200, put.json()
    answer = put.json()
    assert answer["description"] == ""  # PUT replaces what it is not given
    assert [layer["name"] for layer in answer["layers"]] == ["weekly", "top"]
    assert answer["version"] > version
    assert not Layer.objects.filter(pk=old_layer.pk).exists()
    reader = api("viewer", "read")
    assert oncall_now(reader, red.schedule, "2026-11-02T10:00:00Z") == "red responder"
    assert oncall_now(reader, red.schedule, "2026-11-02T20:00:00Z") == "red viewer"

    moved = client.patch(url, {"team": blue.team.pk}, format="json")
    assert "team" in error_fields(moved)
    bad = client.put(url, {**body, "layers": [layer_body(people["viewer"], turn_count=0)]})
    assert "layers[0].turn_count" in error_fields(bad)
    assert [layer.name for layer in red.schedule.layers.all()] == ["weekly", "top"]


def test_a_schedule_a_policy_pages_is_not_deleted_until_the_policy_lets_go(worlds, api):
    red, _ = worlds
    client = api()
    url = f"/api/v1/schedules/{red.schedule.pk}/"
    refused = client.delete(url)
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "conflict"
    assert "escalation policy red-policy" in error["message"]
    assert Schedule.objects.filter(pk=red.schedule.pk).exists()
    assert Layer.objects.filter(schedule=red.schedule).exists()

    EscalationTarget.objects.filter(schedule=red.schedule).delete()
    Override.objects.create(
        schedule=red.schedule, person=red.people["viewer"], start=T0, end=T0.replace(hour=12)
    )
    assert client.delete(url).status_code == 204
    assert not Schedule.objects.filter(pk=red.schedule.pk).exists()
    assert not Layer.objects.filter(schedule_id=red.schedule.pk).exists()
    assert not Override.objects.filter(schedule_id=red.schedule.pk).exists()
    assert client.get(url).status_code == 404


def test_layers_given_in_a_patch_are_checked_as_whole_layers(worlds, api):
    red, _ = worlds
    url = f"/api/v1/schedules/{red.schedule.pk}/"
    (layer,) = red.schedule.layers.all()
    answer = api().patch(url, {"name": "renamed", "layers": [{"name": "half a layer"}]})
    fields = error_fields(answer)
    assert {"layers[0].participants", "layers[0].handoff", "layers[0].turn_unit"} <= set(fields)
    assert fields["layers[0].handoff"] == ["This field is required."]
    assert list(red.schedule.layers.all()) == [layer]
    assert Schedule.objects.get(pk=red.schedule.pk).name == "red-primary"
