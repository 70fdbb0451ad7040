"""The incident actions through the API: the same service every other entry point calls, behind
the token's scope and the person's role; an action with nothing to do is a 409 that adds nothing."""

import pytest

from incidents.models import Incident

pytestmark = pytest.mark.django_db


def post(client, incident, action, body=None):
    return client.post(f"/api/v1/incidents/{incident.number}/{action}/", body, format="json")


def entries(incident, kind):
    return list(incident.timeline.filter(kind=kind).values_list("actor_id", "source"))


def test_a_responder_acknowledges_and_a_second_acknowledgement_is_a_409_that_adds_nothing(
    worlds, api
):
    red, _ = worlds
    responder = red.people["responder"]
    answer = post(api("responder", "respond"), red.incident, "acknowledge")
    assert answer.status_code == 200, answer.json()
    assert answer.json()["status"] == "acknowledged"
    assert entries(red.incident, "acknowledged") == [(responder.pk, "api")]

    again = post(api("admin", "admin"), red.incident, "acknowledge")
    assert again.status_code == 409
    assert again.json() == {
        "error": {"code": "conflict", "message": f"#{red.incident.number} is already acknowledged"}
    }
    assert entries(red.incident, "acknowledged") == [(responder.pk, "api")]


@pytest.mark.parametrize(
    ("role", "scope"),
    [("responder", "read"), ("admin", "read"), ("viewer", "admin"), ("viewer", "respond")],
)
def test_a_read_token_or_a_viewer_cannot_act(worlds, api, role, scope):
    red, _ = worlds
    for action in ("acknowledge", "resolve", "escalate"):
        answer = post(api(role, scope), red.incident, action)
        assert answer.status_code == 403, (action, answer.json())
        assert answer.json()["error"]["code"] == "permission_denied"
    incident = Incident.objects.get(pk=red.incident.pk)
    assert incident.status == "triggered"
    assert not incident.timeline.filter(kind__in=["acknowledged", "resolved"]).exists()


def test_another_teams_incident_is_not_found_and_untouched(worlds, api):
    red, blue = worlds
    answer = post(api("admin", "admin", team="blue"), red.incident, "resolve")
    assert answer.status_code == 404
    assert answer.json() == {"error": {"code": "not_found", "message": "Not found."}}
    assert Incident.objects.get(pk=red.incident.pk).status == "triggered"


def test_snooze_needs_an_acknowledged_incident_and_minutes_in_range(worlds, api):
    red, _ = worlds
    client = api("responder", "respond")
    assert post(client, red.incident, "snooze", {"minutes": 30}).status_code == 409
    post(client, red.incident, "acknowledge")
    wrong = post(client, red.incident, "snooze", {"minutes": 0})
    assert wrong.status_code == 400 and "minutes" in wrong.json()["error"]["fields"]
    answer = post(client, red.incident, "snooze", {"minutes": 30})
    assert answer.status_code == 200, answer.json()
    (entry,) = red.incident.timeline.filter(kind="snoozed")
    assert (entry.source, entry.data["minutes"]) == ("api", 30)


def test_reassign_notes_and_responders(worlds, api):
    red, blue = worlds
    client = api("admin", "admin")
    admin, responder = red.people["admin"], red.people["responder"]

    stranger = post(client, red.incident, "reassign", {"person": blue.people["admin"].pk})
    assert stranger.status_code == 400
    assert stranger.json()["error"]["fields"] == {
        "person": ["There is no such person in your teams."]
    }
    assert post(client, red.incident, "reassign", {"person": responder.pk}).status_code == 200
    assert Incident.objects.get(pk=red.incident.pk).assignee == responder

    empty = post(client, red.incident, "notes", {"text": ""})
    assert empty.status_code == 400 and "text" in empty.json()["error"]["fields"]
    assert post(client, red.incident, "notes", {"text": "CDN purge running"}).status_code == 200
    (note,) = red.incident.timeline.filter(kind="note")
    assert (note.actor, note.source, note.message) == (admin, "api", "CDN purge running")

    viewer = red.people["viewer"]
    assert post(client, red.incident, "responders", {"person": viewer.pk}).status_code == 200
    assert red.incident.responders.filter(person=viewer).exists()
    assert post(client, red.incident, "responders", {"person": viewer.pk}).status_code == 409
