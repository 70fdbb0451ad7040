"""Writing a schedule's layers through the API: an edit changes who is on call, and who is paged
next, at once; participants and restrictions are replaced as lists; bad input stores nothing;
another team's layers do not exist, and only a team admin writes them."""

from datetime import timedelta

import pytest

from incidents.models import Page
from incidents.services import engine
from incidents.services.declare import incident_declare
from oncall import services
from oncall.models import Layer, LayerMember, LayerRestriction, Schedule
from tests.api.conftest import T0
from tests.api.schedule_bodies import error_fields, layer_body, oncall_now

pytestmark = pytest.mark.django_db

AT = "2026-11-02T10:00:00Z"  # red's weekly layer has "red admin" on call from T0 to 11-09


def layers_url(world, layer=None) -> str:
    base = f"/api/v1/schedules/{world.schedule.pk}/layers/"
    return base if layer is None else f"{base}{layer.pk}/"


def paged(incident) -> set[str]:
    return {page.person.display_name for page in Page.objects.filter(incident=incident)}


def test_an_edit_of_a_layer_changes_who_is_on_call_and_who_is_paged_next_at_once(worlds, api):
    red, _ = worlds
    reader = api("viewer", "read")
    assert oncall_now(reader, red.schedule, AT) == "red admin"  # and the answer is now kept
    now = T0 + timedelta(hours=1)
    before = incident_declare(service=red.service, title="Playback stalls", now=now)
    engine.escalation_fire(incident_id=before.pk, now=now)  # the paging path compiles the rota
    assert paged(before) == {"red admin"}
    version = Schedule.objects.get(pk=red.schedule.pk).version

    layer = red.schedule.layers.get()
    answer = api().patch(
        layers_url(red, layer), {"participants": [red.people["viewer"].pk]}, format="json"
    )
    assert answer.status_code == 200, answer.json()
    assert [p["name"] for p in answer.json()["participants"]] == ["red viewer"]
    assert Schedule.objects.get(pk=red.schedule.pk).version > version
    assert oncall_now(reader, red.schedule, AT) == "red viewer"  # no stale answer
    after = incident_declare(service=red.service, title="Playback stalls again", now=now)
    engine.escalation_fire(incident_id=after.pk, now=now)
    assert paged(after) == {"red viewer"}  # no stale rota either


def test_an_admin_adds_a_layer_on_top_and_it_wins(worlds, api):
    red, _ = worlds
    nights = {"kind": "daily", "start_time": "22:00", "end_time": "06:00"}
    body = layer_body(red.people["responder"], name="nights", restrictions=[nights])
    answer = api().post(layers_url(red), body, format="json")
    assert answer.status_code == 201, answer.json()
    made = answer.json()
    assert made["schedule"] == red.schedule.pk and made["position"] == 1
    assert made["restrictions"][0]["duration"] == 8 * 3600
    reader = api("viewer", "read")
    assert oncall_now(reader, red.schedule, "2026-11-02T23:00:00Z") == "red responder"
    assert oncall_now(reader, red.schedule, AT) == "red admin"


def test_restrictions_are_given_by_their_end_or_their_duration_and_shown_both_ways(worlds, api):
    red, _ = worlds
    weekend = {
        "kind": "weekly",
        "start_weekday": 4,
        "start_time": "18:00",
        "end_weekday": 0,
        "end_time": "08:00",
    }
    same_by_duration = {"kind": "weekly", "start_weekday": 4, "start_time": "18:00"}
    same_by_duration["duration"] = (2 * 24 + 14) * 3600
    body = layer_body(red.people["viewer"], restrictions=[weekend, same_by_duration])
    answer = api().post(layers_url(red), body, format="json")
    assert answer.status_code == 201, answer.json()
    shown = answer.json()["restrictions"]
    assert (
        shown[0]
        == shown[1]
        == {
            "kind": "weekly",
            "start_time": "18:00:00",
            "end_time": "08:00:00",
            "start_weekday": 4,
            "end_weekday": 0,
            "duration": (2 * 24 + 14) * 3600,
        }
    )
    # Restrictions as the API shows them (both forms) can be sent back as they are.
    layer = Layer.objects.get(pk=answer.json()["id"])
    again = api().put(
        layers_url(red, layer), {**answer.json(), "participants": [red.people["viewer"].pk]}
    )
    assert again.status_code == 200, again.json()
    assert again.json()["restrictions"] == shown


@pytest.mark.parametrize(
    ("restriction", "field", "message"),
    [
        (
            {"kind": "weekly", "start_weekday": 0, "start_time": "09:00", "end_weekday": 0},
            "restrictions[0].end_time",
            "Give end_time",
        ),
        (
            {"kind": "weekly", "start_weekday": 2, "start_time": "09:00", "end_time": "09:00"},
            "restrictions[0].end_weekday",
            "Give a weekday",
        ),
        (
            {
                "kind": "weekly",
                "start_weekday": 2,
                "start_time": "09:00",
                "end_weekday": 2,
                "end_time": "09:00",
            },
            "restrictions[0].end_time",
            "Restriction end must differ from its start.",
        ),
        (
            {"kind": "daily", "start_time": "09:00", "duration": 0},
            "restrictions[0].duration",
            "Restriction end must differ from its start.",
        ),
        (
            {"kind": "daily", "start_time": "09:00", "end_time": "17:00", "duration": 3600},
            "restrictions[0].duration",
            "It does not end at end_time",
        ),
        (
            {"kind": "daily", "start_weekday": 1, "start_time": "09:00", "end_time": "17:00"},
            "restrictions[0].start_weekday",
            "Only a weekly restriction has weekdays.",
        ),
    ],
)
def test_a_restriction_that_makes_no_sense_is_refused_and_nothing_stored(
    worlds, api, restriction, field, message
):
    red, _ = worlds
    body = layer_body(red.people["viewer"], restrictions=[restriction])
    fields = error_fields(api().post(layers_url(red), body, format="json"))
    assert list(fields) == [field] and message in fields[field][0]
    assert red.schedule.layers.count() == 1


def test_put_replaces_a_layer_whole_and_patch_replaces_its_lists(worlds, api):
    red, _ = worlds
    layer = red.schedule.layers.get()
    client = api()
    office = {"kind": "daily", "start_time": "09:00", "end_time": "17:00"}
    patched = client.patch(layers_url(red, layer), {"restrictions": [office]}, format="json")
    assert patched.status_code == 200
    assert len(patched.json()["restrictions"]) == 1
    assert [p["name"] for p in patched.json()["participants"]] == ["red responder", "red admin"]

    body = layer_body(red.people["admin"], red.people["viewer"], name="renamed")
    put = client.put(layers_url(red, layer), body, format="json")
    assert put.status_code == 200, put.json()
    assert put.json()["name"] == "renamed" and put.json()["restrictions"] == []
    assert put.json()["time_zone"] == "UTC" and put.json()["position"] == layer.position
    assert list(layer.members.values_list("person__display_name", flat=True)) == [
        "red admin",
        "red viewer",
    ]
    assert not LayerRestriction.objects.filter(layer=layer).exists()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"participants": []}, "participants", "A layer needs at least one member."),
        ({"handoff": "2026-11-02T09:00:00"}, "handoff", "Give a time zone"),
        ({"time_zone": "Europe/Lisboa"}, "time_zone", "is not a known time zone"),
        ({"turn_count": 0}, "turn_count", "greater than or equal to 1"),
        ({"position": 1, "name": ""}, "name", "may not be blank"),
    ],
)
def test_a_bad_layer_edit_changes_nothing(worlds, api, change, field, message):
    red, _ = worlds
    layer = red.schedule.layers.get()
    members = list(layer.members.values_list("person_id", flat=True))
    answer = api().patch(layers_url(red, layer), change, format="json")
    fields = error_fields(answer)
    assert field in fields and message in fields[field][0]
    stored = Layer.objects.get(pk=layer.pk)
    assert (stored.name, stored.time_zone, stored.handoff, stored.position) == (
        layer.name,
        layer.time_zone,
        layer.handoff,
        layer.position,
    )
    assert list(stored.members.values_list("person_id", flat=True)) == members


def test_a_put_without_a_whole_layer_changes_nothing(worlds, api):
    red, _ = worlds
    layer = red.schedule.layers.get()
    answer = api().put(layers_url(red, layer), {"name": "renamed"}, format="json")
    fields = error_fields(answer)
    assert {"participants", "turn_unit", "turn_count", "handoff", "time_zone"} <= set(fields)
    assert Layer.objects.get(pk=layer.pk).name == "weekly"


def test_layers_are_listed_lowest_first(worlds, api):
    red, _ = worlds
    client = api()
    client.post(layers_url(red), layer_body(red.people["viewer"], name="top", position=5))
    client.post(layers_url(red), layer_body(red.people["viewer"], name="middle", position=3))
    listed = client.get(layers_url(red)).json()["results"]
    assert [layer["name"] for layer in listed] == ["weekly", "middle", "top"]


def test_a_layer_position_another_layer_holds_is_refused(worlds, api):
    red, _ = worlds
    answer = api().post(layers_url(red), layer_body(red.people["viewer"], position=0))
    assert error_fields(answer) == {"position": ["Another layer of the schedule has position 0."]}
    assert red.schedule.layers.count() == 1


def test_an_admin_deletes_a_layer_and_its_members_go_with_it(worlds, api):
    red, _ = worlds
    layer = red.schedule.layers.get()
    version = Schedule.objects.get(pk=red.schedule.pk).version
    assert api().delete(layers_url(red, layer)).status_code == 204
    assert not Layer.objects.filter(pk=layer.pk).exists()
    assert not LayerMember.objects.filter(layer_id=layer.pk).exists()
    assert Schedule.objects.get(pk=red.schedule.pk).version > version
    assert oncall_now(api("viewer", "read"), red.schedule, AT) is None  # a gap now


def test_another_teams_layers_do_not_exist_and_its_people_cannot_take_turns(worlds, api):
    red, blue = worlds
    client = api()  # red's admin
    theirs = blue.schedule.layers.get()
    for url in (layers_url(blue, theirs), layers_url(red, theirs)):
        for method, body in [
            ("get", None),
            ("patch", {"name": "ours"}),
            ("put", layer_body(red.people["admin"])),
            ("delete", None),
        ]:
            answer = getattr(client, method)(url, body, format="json")
            assert answer.status_code == 404, (method, url)
    assert client.post(layers_url(blue), layer_body(red.people["admin"])).status_code == 404
    assert client.get(layers_url(blue)).status_code == 404
    assert Layer.objects.get(pk=theirs.pk).name == theirs.name

    stranger = blue.people["viewer"]
    answer = client.post(layers_url(red), layer_body(red.people["admin"], stranger))
    assert error_fields(answer) == {
        "participants": [f"Person {stranger.pk} is not a member of the team."]
    }
    assert "blue" not in answer.content.decode()
    layer = red.schedule.layers.get()
    answer = client.patch(layers_url(red, layer), {"participants": [stranger.pk]})
    assert "participants" in error_fields(answer)
    assert stranger.pk not in layer.members.values_list("person_id", flat=True)


def test_someone_the_caller_knows_from_another_team_is_named_as_not_a_member(worlds, api):
    red, blue = worlds
    services.team_member_set(team=blue.team, person=red.people["admin"], role="viewer")
    answer = api().post(layers_url(red), layer_body(blue.people["admin"]), format="json")
    assert error_fields(answer) == {"participants": ["blue admin is not a member of the team."]}
    assert red.schedule.layers.count() == 1


@pytest.mark.parametrize(
    ("role", "scope"),
    [("responder", "respond"), ("admin", "respond"), ("admin", "read"), ("viewer", "admin")],
)
def test_only_a_team_admin_with_an_admin_token_writes_layers(worlds, api, role, scope):
    red, _ = worlds
    client = api(role, scope)
    layer = red.schedule.layers.get()
    answers = [
        client.post(layers_url(red), layer_body(red.people["viewer"]), format="json"),
        client.patch(layers_url(red, layer), {"name": "renamed"}, format="json"),
        client.put(layers_url(red, layer), layer_body(red.people["viewer"]), format="json"),
        client.delete(layers_url(red, layer)),
    ]
    for answer in answers:
        assert answer.status_code == 403, answer.content
        assert "admin role" in answer.json()["error"]["message"]
    assert list(red.schedule.layers.values_list("name", flat=True)) == ["weekly"]
    assert client.get(layers_url(red, layer)).status_code == 200  # reading is for everyone


def test_restrictions_given_in_a_patch_are_checked_whole(worlds, api):
    red, _ = worlds
    layer = red.schedule.layers.get()
    answer = api().patch(layers_url(red, layer), {"restrictions": [{"kind": "daily"}]})
    assert error_fields(answer) == {"restrictions[0].start_time": ["This field is required."]}
    assert not LayerRestriction.objects.filter(layer=layer).exists()
