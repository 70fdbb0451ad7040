"""GET /api/v1/fatigue/: a member's token reads its team's fatigue, per person and for the
team; another team, a bad day and a period too long are 400s naming the parameter, and tell
nothing of the other team."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.test import APIClient

from oncall.services import team_member_set
from tests.api.conftest import T0, client_for
from tests.incidents.test_fatigue_selectors import sent

pytestmark = pytest.mark.django_db

WEEK = {"since": "2026-11-02", "until": "2026-11-08"}  # Monday to Sunday, UTC


def test_a_read_token_gets_its_teams_fatigue(worlds, api):
    red, _ = worlds
    admin = red.people["admin"]
    # 03:00 in Lisbon on Tuesday, by SMS and by call: one sleep-hours page, one night woken.
    sent(red.incident, admin, datetime(2026, 11, 3, 3, tzinfo=UTC), step=7)
    sent(red.incident, admin, datetime(2026, 11, 3, 3, 1, tzinfo=UTC), step=7, rule_id=99)
    answer = api("viewer", "read").get("/api/v1/fatigue/", {**WEEK, "team": "red"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["team"] == {"id": red.team.pk, "name": "Red", "slug": "red"}
    assert (body["since"], body["until"], body["weeks"]) == (
        "2026-11-02",
        "2026-11-08",
        ["2026-11-02"],
    )
    people = {row["person"]["name"]: row for row in body["people"]}
    assert list(people) == ["red admin", "red responder", "red viewer"]
    # The weekly turn changes at 09:00 UTC on Monday: the responder had the 9 h before it.
    assert people["red responder"]["on_call_hours"] == 9
    assert people["red admin"]["on_call_hours"] == 159
    assert people["red viewer"]["on_call_hours"] == 0
    assert people["red admin"]["pages"] == {"sleep": 1, "off": 0, "business": 0}
    assert people["red admin"]["nights_woken"] == 1
    assert body["total"]["on_call_hours"] == 168
    assert body["mean"]["on_call_hours"] == 56
    assert body["total"]["score"] == pytest.approx(sum(p["score"] for p in people.values()))
    assert people["red admin"]["weeks"][0]["week"] == "2026-11-02"
    assert body["score_points"]["sleep_page"] == 3


def test_the_team_by_id_and_the_default_period(worlds, api, frozen_now):
    red, _ = worlds
    frozen_now(T0 + timedelta(days=30, hours=13))  # 2 December 2026, 22:00 UTC
    body = api("responder", "read").get("/api/v1/fatigue/", {"team": red.team.pk}).json()
    assert (body["since"], body["until"]) == ("2026-11-05", "2026-12-02")
    # A reader of one team need not name it.
    assert api("responder", "read").get("/api/v1/fatigue/").json()["team"]["slug"] == "red"


def test_a_reader_of_two_teams_names_one(worlds):
    red, blue = worlds
    team_member_set(team=blue.team, person=red.people["viewer"], role="viewer")
    answer = client_for(red.people["viewer"], "read").get("/api/v1/fatigue/", WEEK)
    assert answer.status_code == 400
    assert list(answer.json()["error"]["fields"]) == ["team"]


@pytest.mark.parametrize(
    "query, field",
    [
        ({"team": "blue"}, "team"),
        ({"team": "blue-id"}, "team"),
        ({"team": "nobody"}, "team"),
        ({"team": "red", "since": "2026-11-31"}, "since"),
        ({"team": "red", "until": "yesterday"}, "until"),
        ({"team": "red", "since": "2026-11-09", "until": "2026-11-08"}, "until"),
        ({"team": "red", "since": "2025-01-01", "until": "2026-11-08"}, "until"),
        ({"team": "red", "since": "9999-12-31", "until": "9999-12-31"}, "since"),
        ({"team": "red", "until": "1969-12-31"}, "until"),
    ],
)
def test_a_bad_or_foreign_parameter_is_a_400_naming_it(worlds, api, query, field):
    _, blue = worlds
    if query["team"] == "blue-id":
        query["team"] = str(blue.team.pk)
    answer = api("admin", "admin").get("/api/v1/fatigue/", query)
    assert answer.status_code == 400
    assert list(answer.json()["error"]["fields"]) == [field]
    assert "blue" not in answer.content.decode().lower()
    if field == "team":  # another team answers as one that does not exist
        nobody = api("admin", "admin").get("/api/v1/fatigue/", {"team": "nobody"})
        assert nobody.json() == answer.json()


def test_no_token_is_a_401(worlds):
    assert APIClient().get("/api/v1/fatigue/", {"team": "red"}).status_code == 401
