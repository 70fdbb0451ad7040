"""GET /api/v1/insights/: a read token sees its team's figures in the contract's shape; another
team's team, service or person, a zone that does not exist and a period too long are 400s naming
the parameter, and tell nothing of the other team."""

from __future__ import annotations

from datetime import timedelta

import pytest

from incidents.services.incidents import incident_acknowledge, incident_resolve
from tests.api.conftest import T0

pytestmark = pytest.mark.django_db

PERIOD = {"since": "2026-11-01T00:00:00Z", "until": "2026-11-08T00:00:00Z"}


def test_a_read_token_gets_its_teams_figures(worlds, api):
    red, blue = worlds
    incident_acknowledge(incident=red.incident, now=T0 + timedelta(seconds=90), source="sms")
    incident_resolve(incident=red.incident, now=T0 + timedelta(minutes=30), source="web")
    answer = api("viewer", "read").get(
        "/api/v1/insights/", {**PERIOD, "team": red.team.pk, "tz": "America/Sao_Paulo"}
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["teams"] == [{"id": red.team.pk, "name": "Red"}]
    assert body["since"] == "2026-10-31T21:00:00-03:00"
    assert body["mtta_seconds"] == {"median": 90.0, "p90": 90.0, "count": 1}
    assert body["mttr_seconds"] == {"median": 1800.0, "p90": 1800.0, "count": 1}
    assert body["acknowledgements_by_channel"]["sms"] == 1
    assert body["incidents_by_week"] == [
        {"week": "2026-10-26", "incidents": 0, "pages": 0},
        {"week": "2026-11-02", "incidents": 1, "pages": 0},
    ]
    assert body["noisy_alerts"] == [
        {"alert_name": "red is down", "incidents": 1, "alerts": 0, "quiet_resolved": 0}
    ]
    assert len(body["pages_by_hour"]) == 24
    assert set(body["pages_by_interruption"]) == {"sleep", "off", "business"}


def test_the_zone_defaults_to_the_readers_profile(worlds, api):
    red, _ = worlds
    person = red.people["viewer"]
    person.time_zone = "Asia/Singapore"
    person.save()
    body = api("viewer", "read").get("/api/v1/insights/", PERIOD).json()
    assert body["tz"] == "Asia/Singapore"
    assert body["until"] == "2026-11-08T08:00:00+08:00"


@pytest.mark.parametrize(
    "query, field",
    [
        ({"team": "blue"}, "team"),
        ({"service": "blue"}, "service"),
        ({"person": "blue"}, "person"),
        ({"tz": "Mars/Olympus_Mons"}, "tz"),
        ({"since": "2025-01-01T00:00:00Z", "until": "2026-11-01T00:00:00Z"}, "until"),
        ({"since": "2026-11-02T00:00:00Z", "until": "2026-11-01T00:00:00Z"}, "until"),
        ({"since": "2026-11-02T00:00:00"}, "since"),
    ],
)
def test_a_bad_or_foreign_parameter_is_a_400_naming_it(worlds, api, query, field):
    red, blue = worlds
    ids = {"team": blue.team.pk, "service": blue.service.pk, "person": blue.people["admin"].pk}
    query = {key: ids[key] if value == "blue" else value for key, value in query.items()}
    answer = api("admin", "admin").get("/api/v1/insights/", query)
    assert answer.status_code == 400
    assert list(answer.json()["error"]["fields"]) == [field]
    assert "blue" not in answer.content.decode().lower()
    missing = {key: 10**9 for key in query if key in ids}
    if missing:  # another team's object answers as one that does not exist
        assert api("admin", "admin").get("/api/v1/insights/", missing).json() == answer.json()
