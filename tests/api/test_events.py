"""/api/v1/events/: team members read a team's events, its admins write them (400 naming the
field for a bad one, nothing stored), send test pages and read the readiness checklist."""

from datetime import timedelta

import pytest

from incidents import models
from incidents.models import Event, Incident
from oncall.models import AuditEntry
from oncall.services import team_member_set

from .conftest import T0, client_for

pytestmark = pytest.mark.django_db

EVENTS = "/api/v1/events/"
START = T0 + timedelta(days=1)


def body(world, **extra) -> dict:
    return {
        "team": world.team.pk,
        "name": "Champions final",
        "starts_at": START.isoformat(),
        "ends_at": (START + timedelta(hours=4)).isoformat(),
        "services": [world.service.pk],
        "extra_people": [world.people["viewer"].pk],
        "ack_timeout_minutes": 5,
        **extra,
    }


def fields_of(answer) -> dict:
    assert answer.status_code == 400, answer.content
    return answer.json()["error"]["fields"]


def test_an_admin_creates_an_event_members_read_it_and_other_teams_never_see_it(
    worlds, api, frozen_now
):
    frozen_now(T0)
    red, _ = worlds
    answer = api().post(EVENTS, body(red), format="json")
    assert answer.status_code == 201, answer.json()
    made = answer.json()
    assert made["services"] == [{"id": red.service.pk, "name": "red-cdn"}]
    assert made["extra_people"] == [{"id": red.people["viewer"].pk, "name": "red viewer"}]
    assert made["ack_timeout_minutes"] == 5 and made["team"]["name"] == "Red"
    assert AuditEntry.objects.filter(object_type="event", action="create").exists()
    (links,) = AuditEntry.objects.filter(object_type="event", action="update")
    assert links.changes["services"] == [[], [red.service.pk]]
    assert links.team_id == red.team.pk and links.actor == red.people["admin"].user.username

    assert [e["name"] for e in api("viewer", "read").get(EVENTS).json()["results"]] == [
        "Champions final"
    ]
    assert api("viewer", "read", team="blue").get(EVENTS).json()["results"] == []
    assert api(team="blue").get(f"{EVENTS}{made['id']}/").status_code == 404
    refused = api("responder", "respond").post(EVENTS, body(red, name="Other"), format="json")
    assert refused.status_code == 403
    assert Event.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ends_at": START.isoformat()}, "ends_at"),
        ({"starts_at": "2026-11-03T09:00:00"}, "starts_at"),  # no offset: refused, not guessed
        ({"ack_timeout_minutes": 0}, "ack_timeout_minutes"),
        ({"name": ""}, "name"),
    ],
)
def test_a_bad_event_is_a_400_naming_the_field_and_nothing_is_stored(
    worlds, api, frozen_now, change, field
):
    frozen_now(T0)
    red, _ = worlds
    assert field in fields_of(api().post(EVENTS, body(red, **change), format="json"))
    assert not Event.objects.exists()


def test_another_teams_service_is_refused_as_if_it_did_not_exist(worlds, api, frozen_now):
    frozen_now(T0)
    red, blue = worlds
    fields = fields_of(api().post(EVENTS, body(red, services=[blue.service.pk]), format="json"))
    assert fields["services"] == ["There is no such service in your teams."]
    # An admin of both teams cannot mix them either: the service layer checks the team.
    blue_service_in_red = body(red, services=[blue.service.pk])
    team_member_set(team=blue.team, person=red.people["admin"], role="admin")
    both = client_for(red.people["admin"], "admin")
    fields = fields_of(both.post(EVENTS, blue_service_in_red, format="json"))
    assert fields["services"] == ["Choose services of the event's team."]
    assert not Event.objects.exists()


def test_patch_and_delete_by_an_admin(worlds, api, frozen_now):
    frozen_now(T0)
    red, _ = worlds
    made = api().post(EVENTS, body(red), format="json").json()
    url = f"{EVENTS}{made['id']}/"
    changed = api().patch(url, {"ack_timeout_minutes": None, "extra_people": []}, format="json")
    assert changed.status_code == 200, changed.json()
    assert changed.json()["ack_timeout_minutes"] is None and changed.json()["extra_people"] == []
    assert changed.json()["services"] == [{"id": red.service.pk, "name": "red-cdn"}]
    bad = api().patch(url, {"ends_at": (START - timedelta(hours=1)).isoformat()}, format="json")
    assert "ends_at" in fields_of(bad)
    assert api("responder", "respond").delete(url).status_code == 403
    assert api().delete(url).status_code == 204
    assert not Event.objects.exists()


def test_test_pages_then_an_api_acknowledgement_confirms_the_person_in_the_checklist(
    worlds, api, frozen_now
):
    frozen_now(T0)
    red, _ = worlds
    made = api().post(EVENTS, body(red, extra_people=[]), format="json").json()
    url = f"{EVENTS}{made['id']}/"
    before = api("viewer", "read").get(f"{url}checklist/").json()
    assert before["passed"] is False
    (on_call,) = before["people"]  # the red primary rota's person during the event
    assert on_call["sent_at"] is None and on_call["ready"] is False
    assert "no test page" in on_call["missing"]

    assert api("responder", "respond").post(f"{url}test-pages/").status_code == 403
    sent = api().post(f"{url}test-pages/", {}, format="json")
    assert sent.status_code == 201, sent.json()
    ((page),) = sent.json()["sent"]
    assert page["person"] == on_call["person"] and sent.json()["skipped"] == []
    test_page = models.TestPage.objects.get()
    assert test_page.incident.kind == "test" and test_page.incident.esc_due_at is None

    # Acknowledged by someone else, it proves nothing about the person's phone.
    role = next(r for r, p in red.people.items() if p.pk == on_call["person"]["id"])
    other = "responder" if role == "admin" else "admin"
    number = test_page.incident.number
    acked = api(other, "respond").post(f"/api/v1/incidents/{number}/acknowledge/")
    assert acked.status_code == 200, acked.json()
    (row,) = api("viewer", "read").get(f"{url}checklist/").json()["people"]
    assert row["ready"] is False and row["confirmed_at"] is None

    frozen_now(T0 + timedelta(minutes=1))
    api().post(f"{url}test-pages/", {"people": [on_call["person"]["id"]]}, format="json")
    again = models.TestPage.objects.order_by("-pk").first()
    assert again.pk != test_page.pk
    frozen_now(T0 + timedelta(minutes=1, seconds=42))
    number = again.incident.number
    acked = api(role, "respond").post(f"/api/v1/incidents/{number}/acknowledge/")
    assert acked.status_code == 200, acked.json()
    assert Incident.objects.get(pk=number).status == "resolved"
    after = api("viewer", "read").get(f"{url}checklist/").json()
    (row,) = after["people"]
    assert (row["ready"], row["via"], row["seconds"]) == (True, "api", 42)
    people_check = next(c for c in after["checks"] if c["name"] == "People")
    assert people_check["passed"] is True
    assert after["passed"] is False and "rehearsal" in after["summary"]
