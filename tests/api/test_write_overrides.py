"""Overrides through the API: a responder puts someone on call over the layers (one, or a list
saved in one insert whose query count does not grow with its length), for a shift exactly as
shifts/ lists it; changes and deletes those they created; bad input stores nothing."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from oncall import audit
from oncall.models import AuditEntry, Override, Schedule
from tests.api.conftest import T0
from tests.api.schedule_bodies import error_fields, oncall_now

pytestmark = pytest.mark.django_db


def overrides_url(world, override=None) -> str:
    base = f"/api/v1/schedules/{world.schedule.pk}/overrides/"
    return base if override is None else f"{base}{override.pk}/"


def cover(person, start="2026-11-03T09:00:00Z", end="2026-11-03T17:00:00Z", **extra) -> dict:
    return {"person": person.pk, "start": start, "end": end, **extra}


def iso(at) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def version(world) -> int:
    return Schedule.objects.get(pk=world.schedule.pk).version


def test_a_responder_puts_someone_on_call_over_the_layers(worlds, api):
    red, _ = worlds
    client = api("responder", "respond")
    body = cover(red.people["viewer"], reason="Dentist")
    answer = client.post(overrides_url(red), body, format="json")
    assert answer.status_code == 201, answer.json()
    made = answer.json()
    assert made["person"] == {"id": red.people["viewer"].pk, "name": "red viewer"}
    assert (made["start"], made["end"], made["reason"]) == (
        "2026-11-03T09:00:00Z",
        "2026-11-03T17:00:00Z",
        "Dentist",
    )
    override = Override.objects.get(pk=made["id"])
    assert override.created_by == red.people["responder"].user
    reader = api("viewer", "read")
    assert oncall_now(reader, red.schedule, "2026-11-03T10:00:00Z") == "red viewer"
    assert oncall_now(reader, red.schedule, "2026-11-03T18:00:00Z") == "red admin"


def test_a_shift_given_as_shifts_lists_it_is_covered_exactly(worlds, api):
    red, _ = worlds
    client = api("responder", "respond")
    window = {"since": "2026-11-02T00:00:00Z", "until": "2026-11-16T00:00:00Z"}
    shifts_url = f"/api/v1/schedules/{red.schedule.pk}/shifts/"
    shift = client.get(shifts_url, window).json()[1]
    assert shift["person"]["name"] == "red admin"
    body = {"person": red.people["viewer"].pk, "start": shift["start"], "end": shift["end"]}
    assert client.post(overrides_url(red), body, format="json").status_code == 201
    after = client.get(shifts_url, window).json()
    assert [(s["start"], s["end"], s["person"]["name"]) for s in after] == [
        ("2026-11-02T00:00:00Z", "2026-11-02T09:00:00Z", "red responder"),
        (shift["start"], shift["end"], "red viewer"),
        ("2026-11-09T09:00:00Z", "2026-11-16T00:00:00Z", "red responder"),
    ]


def test_a_list_of_overrides_is_one_insert_one_version_bump_and_one_audit_call(
    worlds, api, monkeypatch
):
    red, _ = worlds
    audited = []
    monkeypatch.setattr(audit, "audit_bulk_created", lambda objects: audited.append(objects))
    client = api("responder", "respond")
    people = [red.people["viewer"], red.people["admin"]]
    days = [
        cover(
            people[n % 2],
            start=iso(T0 + timedelta(days=n)),
            end=iso(T0 + timedelta(days=n, hours=8)),
        )
        for n in range(1, 101)
    ]
    before = version(red)
    with CaptureQueriesContext(connection) as queries:
        answer = client.post(overrides_url(red), days, format="json")
    assert answer.status_code == 201, answer.json()
    assert len(answer.json()) == 100
    inserts = [q for q in queries if q["sql"].startswith('INSERT INTO "oncall_override"')]
    assert len(inserts) == 1
    assert version(red) == before + 1
    (created,) = audited
    assert sorted(o.pk for o in created) == sorted(o["id"] for o in answer.json())
    assert Override.objects.filter(schedule=red.schedule).count() == 100


def test_the_query_count_does_not_grow_with_the_number_of_overrides(
    worlds, api, django_assert_num_queries
):
    red, _ = worlds
    client = api("responder", "respond")
    client.get("/api/v1/oncall/")  # the token's first use is recorded: not part of the count
    viewer, hour = red.people["viewer"], timedelta(hours=1)

    def overrides(count: int, day: int) -> list[dict]:
        start = T0 + timedelta(days=day)
        return [
            cover(viewer, start=iso(start + hour * n), end=iso(start + hour * (n + 1)))
            for n in range(count)
        ]

    with CaptureQueriesContext(connection) as one:
        assert client.post(overrides_url(red), overrides(1, 1), format="json").status_code == 201
    # One bulk insert each for the overrides and their audit entries: one statement on
    # PostgreSQL; SQLite caps a statement at 999 parameters, so Django splits a long insert.
    splits = sum(_statements(model, 100) - 1 for model in (Override, AuditEntry))
    with django_assert_num_queries(len(one) + splits):
        answer = client.post(overrides_url(red), overrides(100, 10), format="json")
        assert answer.status_code == 201
    assert Override.objects.filter(schedule=red.schedule).count() == 101
    if connection.vendor == "postgresql":
        assert splits == 0


def _statements(model, rows: int) -> int:
    """Return how many INSERT statements Django's bulk_create makes of `rows` rows of `model`."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    batch = connection.ops.bulk_batch_size(fields, [None] * rows) or rows
    return -(-rows // batch)


def test_an_override_that_ends_before_it_starts_is_refused_naming_end(worlds, api):
    red, _ = worlds
    client = api("responder", "respond")
    backwards = cover(red.people["viewer"], start="2026-11-03T17:00:00Z", end="2026-11-03T09:00Z")
    assert error_fields(client.post(overrides_url(red), backwards, format="json")) == {
        "end": ["An override must end after it starts."]
    }
    good = cover(red.people["viewer"])
    fields = error_fields(client.post(overrides_url(red), [good, backwards], format="json"))
    assert fields == {"[1].end": ["An override must end after it starts."]}
    naive = cover(red.people["viewer"], start="2026-11-03T09:00:00")
    assert "start" in error_fields(client.post(overrides_url(red), naive, format="json"))
    assert not Override.objects.exists()  # the good one of the list was not saved either

    past = cover(red.people["viewer"], start="2020-01-01T00:00:00Z")
    assert client.post(overrides_url(red), past, format="json").status_code == 201


def test_an_override_for_someone_outside_the_team_is_refused_without_naming_them(worlds, api):
    red, blue = worlds
    client = api("responder", "respond")
    stranger = blue.people["viewer"]
    answer = client.post(overrides_url(red), cover(stranger), format="json")
    assert error_fields(answer) == {
        "person": [f"Person {stranger.pk} is not a member of the team."]
    }
    assert "blue" not in answer.content.decode()
    listed = client.post(overrides_url(red), [cover(red.people["viewer"]), cover(stranger)])
    assert list(error_fields(listed)) == ["[1].person"]
    assert not Override.objects.exists()


def test_a_responder_changes_and_deletes_their_own_overrides_an_admin_anyones(worlds, api):
    red, _ = worlds
    responder, admin = api("responder", "respond"), api("admin", "admin")
    own = responder.post(overrides_url(red), cover(red.people["viewer"]), format="json").json()
    theirs = admin.post(overrides_url(red), cover(red.people["admin"]), format="json").json()
    own_url = f"{overrides_url(red)}{own['id']}/"
    their_url = f"{overrides_url(red)}{theirs['id']}/"

    moved = responder.patch(own_url, {"end": "2026-11-03T20:00:00Z"}, format="json")
    assert moved.status_code == 200 and moved.json()["end"] == "2026-11-03T20:00:00Z"
    assert "end" in error_fields(responder.patch(own_url, {"end": "2026-11-03T08:00:00Z"}))
    assert Override.objects.get(pk=own["id"]).end.hour == 20  # unchanged by the refusal
    for answer in (
        responder.patch(their_url, {"reason": "mine"}, format="json"),
        responder.delete(their_url),
    ):
        assert answer.status_code == 403
        assert "someone else created" in answer.json()["error"]["message"]
    assert admin.patch(own_url, {"reason": "Swapped"}, format="json").status_code == 200
    assert responder.delete(own_url).status_code == 204
    assert admin.delete(their_url).status_code == 204
    assert not Override.objects.exists()


@pytest.mark.parametrize(("role", "scope"), [("viewer", "admin"), ("responder", "read")])
def test_viewers_and_read_tokens_write_no_overrides(worlds, api, role, scope):
    red, _ = worlds
    override = Override.objects.create(
        schedule=red.schedule,
        person=red.people["viewer"],
        start=T0,
        end=T0 + timedelta(hours=2),
        created_by=red.people[role].user,
    )
    client = api(role, scope)
    for answer in (
        client.post(overrides_url(red), cover(red.people["viewer"]), format="json"),
        client.patch(overrides_url(red, override), {"reason": "x"}, format="json"),
        client.delete(overrides_url(red, override)),
    ):
        assert answer.status_code == 403, answer.content
        assert "responder role" in answer.json()["error"]["message"]
    assert list(Override.objects.values_list("pk", "reason")) == [(override.pk, "")]


def test_another_teams_overrides_do_not_exist(worlds, api):
    red, blue = worlds
    theirs = Override.objects.create(
        schedule=blue.schedule, person=blue.people["viewer"], start=T0, end=T0 + timedelta(hours=2)
    )
    client = api("admin", "admin")  # red's admin
    for url in (overrides_url(blue, theirs), overrides_url(red, theirs)):
        for method, body in [("get", None), ("patch", {"reason": "x"}), ("delete", None)]:
            answer = getattr(client, method)(url, body, format="json")
            assert answer.status_code == 404, (method, url)
    posted = client.post(overrides_url(blue), cover(red.people["viewer"]), format="json")
    assert posted.status_code == 404
    assert list(Override.objects.values_list("pk", "reason")) == [(theirs.pk, "")]
