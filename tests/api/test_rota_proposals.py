"""/api/v1/schedules/{id}/proposals/: a team admin asks for a fair rota (202, solved by a worker),
reads it, and applies it; anyone else is refused as the API refuses them; bad input is a 400
naming the field, and stores nothing."""

from __future__ import annotations

import pytest

from incidents.models import RotaProposal
from incidents.proposals import services
from incidents.proposals.services import rota_proposal_solve
from oncall import clock
from oncall.models import AuditEntry, Override
from tests.api.conftest import T0


@pytest.fixture
def solving(monkeypatch, frozen_now):
    """Catch the solving task queued on commit; run it by hand."""
    frozen_now(T0)
    asked = []
    monkeypatch.setattr(services, "_queue", asked.append)
    return asked


def _url(world, pk=None, tail=""):
    base = f"/api/v1/schedules/{world.schedule.pk}/proposals/"
    return base + (f"{pk}/" if pk else "") + tail


def _ask(client, world, body=None, capture=None):
    body = body if body is not None else {"weeks": 1, "options": {"time_limit_seconds": 1}}
    with capture(execute=True):
        return client.post(_url(world), body, format="json")


def test_an_admin_asks_reads_and_applies_a_proposal(
    api, worlds, solving, django_capture_on_commit_callbacks
):
    red, _ = worlds
    client = api("admin")
    asked = _ask(client, red, capture=django_capture_on_commit_callbacks)
    assert asked.status_code == 202, asked.json()
    body = asked.json()
    assert body["status"] == "solving" and body["result"] is None
    assert asked["Location"] == body["url"]
    assert body["url"].endswith(_url(red, body["id"]))
    assert solving == [body["id"]]

    rota_proposal_solve(proposal_id=body["id"], now=clock.now())
    read = client.get(_url(red, body["id"])).json()
    assert read["status"] == "proposed"
    result = read["result"]
    assert {p["name"] for p in result["people"]} == {"red responder", "red admin"}
    assert set(result["solver"]) >= {"status", "gap", "bound", "wall_seconds", "time_limit_seconds"}
    assert result["solver"]["time_limit_seconds"] == 1
    assert result["shifts"] and "rules_held" in result and "uncovered" in result
    assert set(result["people"][0]["proposed"]) == {"hours", "night", "weekend", "holiday"}

    applied = client.post(_url(red, body["id"], "apply/"))
    assert applied.status_code == 200, applied.json()
    made = applied.json()
    assert made == [] or {"id", "person", "start", "end"} <= set(made[0])
    assert Override.objects.filter(schedule=red.schedule).count() == len(made)
    assert AuditEntry.objects.filter(object_type="override", source="api").count() == len(made)
    again = client.post(_url(red, body["id"], "apply/"))
    assert again.status_code == 200 and again.json() == []
    assert client.get(_url(red, body["id"])).json()["status"] == "applied"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "weeks"),
        ({"weeks": 0}, "weeks"),
        ({"weeks": 99}, "weeks"),
        ({"weeks": 1, "start": "next week"}, "start"),
        ({"weeks": 1, "options": {"coverage": "sometimes"}}, "options.coverage"),
        ({"weeks": 1, "options": {"time_limit_seconds": -1}}, "options.time_limit_seconds"),
        ({"weeks": 1, "options": {"time_limit_seconds": 600}}, "options.time_limit_seconds"),
        (
            {"weeks": 1, "options": {"min_shift_hours": 9, "max_shift_hours": 8}},
            "options.max_shift_hours",
        ),
        ({"weeks": 1, "options": {"colour": "red"}}, "options.colour"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_stores_nothing(
    api, worlds, solving, body, field, django_capture_on_commit_callbacks
):
    red, _ = worlds
    answer = _ask(api("admin"), red, body, capture=django_capture_on_commit_callbacks)
    assert answer.status_code == 400
    assert field in answer.json()["error"]["fields"]
    assert not RotaProposal.objects.exists() and solving == []


@pytest.mark.parametrize(
    ("role", "scope", "status"),
    [("responder", "admin", 403), ("viewer", "admin", 403), ("admin", "respond", 403)],
)
def test_only_team_admins_may_propose(
    api, worlds, solving, role, scope, status, django_capture_on_commit_callbacks
):
    red, _ = worlds
    answer = _ask(api(role, scope), red, capture=django_capture_on_commit_callbacks)
    assert answer.status_code == status
    assert not RotaProposal.objects.exists()


def test_another_teams_schedule_and_proposals_do_not_exist(
    api, worlds, solving, django_capture_on_commit_callbacks
):
    red, blue = worlds
    made = _ask(api("admin", team="blue"), blue, capture=django_capture_on_commit_callbacks)
    pk = made.json()["id"]
    red_admin = api("admin")
    assert _ask(red_admin, blue, capture=django_capture_on_commit_callbacks).status_code == 404
    assert red_admin.get(_url(blue, pk)).status_code == 404
    assert red_admin.post(_url(blue, pk, "apply/")).status_code == 404
    assert red_admin.get(f"/api/v1/schedules/{red.schedule.pk}/proposals/{pk}/").status_code == 404


def test_applying_a_proposal_still_solving_is_a_400(
    api, worlds, solving, django_capture_on_commit_callbacks
):
    red, _ = worlds
    client = api("admin")
    pk = _ask(client, red, capture=django_capture_on_commit_callbacks).json()["id"]
    answer = client.post(_url(red, pk, "apply/"))
    assert answer.status_code == 400
    assert "status" in answer.json()["error"]["fields"]
    assert not Override.objects.exists()
