"""Time off through the API, under /people/{id}/time-off/: a person enters their own, an admin of
their team enters anyone's there, nobody else; the team's shifts inside it are offered as cover
requests and withdrawn with it; bad input is a 400 naming the field and stores nothing; another
team's people do not exist. And the holiday calendar on a person."""

from datetime import timedelta

import pytest

from oncall.models import CoverRequest, Person, TimeOff
from tests.api.conftest import T0

pytestmark = pytest.mark.django_db

# The red layer turns weekly from T0 - 7 days: the responder, then the admin (from T0), then the
# responder again from T0 + 7 days.
AWAY = {"start": (T0 + timedelta(days=8)).isoformat(), "end": (T0 + timedelta(days=9)).isoformat()}


@pytest.fixture(autouse=True)
def _now(frozen_now):
    frozen_now(T0)


def url(person: Person, pk: int | None = None) -> str:
    base = f"/api/v1/people/{person.pk}/time-off/"
    return base if pk is None else f"{base}{pk}/"


def test_a_person_enters_their_own_time_off_and_their_shift_in_it_is_offered(worlds, api):
    red, _ = worlds
    me = red.people["responder"]
    answer = api("responder", "respond").post(url(me), {**AWAY, "reason": "Dentist"})

    assert answer.status_code == 201, answer.json()
    made = answer.json()
    assert made["person"] == {"id": me.pk, "name": me.display_name}
    assert (made["start"], made["reason"]) == ("2026-11-10T09:00:00Z", "Dentist")
    (request,) = CoverRequest.objects.filter(asker=me)
    assert made["cover_requests"] == [request.pk]
    assert (request.schedule, request.start, request.end, request.status) == (
        red.schedule,
        T0 + timedelta(days=8),
        T0 + timedelta(days=9),
        "open",
    )
    listed = api("responder", "read").get(url(me)).json()["results"]
    assert [entry["id"] for entry in listed] == [made["id"]]


def test_teammates_see_when_someone_is_away_but_not_why(worlds, api):
    red, _ = worlds
    me = red.people["responder"]
    api("responder", "respond").post(url(me), {**AWAY, "reason": "Surgery"})

    (seen,) = api("viewer", "read").get(url(me)).json()["results"]
    assert seen["start"] == "2026-11-10T09:00:00Z" and seen["reason"] == ""
    (by_admin,) = api("admin", "admin").get(url(me)).json()["results"]
    assert by_admin["reason"] == "Surgery"


def test_an_admin_of_their_team_enters_it_for_them_and_a_viewer_may_not(worlds, api):
    red, _ = worlds
    me = red.people["responder"]
    refused = api("viewer", "admin").post(url(me), AWAY)
    assert refused.status_code == 403
    assert "admin role" in refused.json()["error"]["message"]
    read_token = api("responder", "read").post(url(me), AWAY)
    assert read_token.status_code == 403

    answer = api("admin", "admin").post(url(me), AWAY)
    assert answer.status_code == 201
    assert TimeOff.objects.get().created_by == red.people["admin"].user


def test_another_team_s_people_and_their_time_off_do_not_exist(worlds, api):
    red, _ = worlds
    me = red.people["responder"]
    made = api("responder", "respond").post(url(me), AWAY).json()
    blue = api("admin", "admin", team="blue")
    assert blue.get(url(me)).status_code == 404
    assert blue.post(url(me), AWAY).status_code == 404
    assert blue.patch(url(me, made["id"]), {"reason": "x"}).status_code == 404
    assert blue.delete(url(me, made["id"])).status_code == 404
    assert TimeOff.objects.get().reason == ""


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"start": AWAY["end"], "end": AWAY["start"]}, "end"),
        ({"start": "2026-11-10T09:00:00", "end": AWAY["end"]}, "start"),
        ({"start": AWAY["start"], "end": (T0 + timedelta(days=400)).isoformat()}, "end"),
        ({"end": AWAY["end"]}, "start"),
        ({**AWAY, "reason": "x" * 201}, "reason"),
    ],
)
def test_bad_time_off_is_a_400_naming_the_field_and_stores_nothing(worlds, api, body, field):
    red, _ = worlds
    answer = api("responder", "respond").post(url(red.people["responder"]), body, format="json")
    assert answer.status_code == 400
    assert field in answer.json()["error"]["fields"]
    assert not TimeOff.objects.exists() and not CoverRequest.objects.exists()


def test_moving_it_follows_the_shifts_and_deleting_it_withdraws_the_request(worlds, api):
    red, _ = worlds
    me = red.people["responder"]
    client = api("responder", "respond")
    made = client.post(url(me), AWAY).json()
    (first,) = CoverRequest.objects.filter(asker=me)

    later = {"start": (T0 + timedelta(days=10)).isoformat()}
    later["end"] = (T0 + timedelta(days=11)).isoformat()
    moved = client.patch(url(me, made["id"]), later, format="json")
    assert moved.status_code == 200, moved.json()
    first.refresh_from_db()
    (second,) = CoverRequest.objects.filter(asker=me, status="open")
    assert first.status == "withdrawn" and moved.json()["cover_requests"] == [first.pk, second.pk]
    assert second.start == T0 + timedelta(days=10)

    bad = client.patch(url(me, made["id"]), {"end": later["start"]}, format="json")
    assert bad.status_code == 400 and "end" in bad.json()["error"]["fields"]

    assert client.delete(url(me, made["id"])).status_code == 204
    second.refresh_from_db()
    assert second.status == "withdrawn" and not TimeOff.objects.exists()


def test_a_person_chooses_whose_public_holidays_they_keep(worlds, api):
    red, _ = worlds
    me = red.people["responder"]  # in UTC: no country of their own
    client = api("responder", "respond")
    shown = client.get(f"/api/v1/people/{me.pk}/").json()
    assert shown["holiday_calendar"] == {"country": "", "subdivision": "", "from_time_zone": True}

    answer = client.patch(
        f"/api/v1/people/{me.pk}/", {"holiday_country": "br", "holiday_subdivision": "SP"}
    )
    assert answer.status_code == 200, answer.json()
    assert (answer.json()["holiday_country"], answer.json()["holiday_subdivision"]) == ("BR", "SP")
    assert answer.json()["holiday_calendar"] == {
        "country": "BR",
        "subdivision": "SP",
        "from_time_zone": False,
    }

    bad = client.patch(f"/api/v1/people/{me.pk}/", {"holiday_subdivision": "ZZ", "locale": "pt"})
    assert bad.status_code == 400
    assert "holiday_subdivision" in bad.json()["error"]["fields"]
    me.refresh_from_db()
    assert (me.holiday_subdivision, me.locale) == ("SP", "en")
