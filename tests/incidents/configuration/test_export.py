"""`manage.py config export`: the database as a file that reads back to what the database holds."""

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.configuration import normal
from incidents.configuration.export import config_export
from incidents.models import MaintenanceWindow, Service
from incidents.services.integrations import integration_create
from oncall import clock
from oncall.models import Override, Person, Schedule, Team
from oncall.services.people import person_create

pytestmark = pytest.mark.django_db


def export(*args) -> str:
    out = io.StringIO()
    call_command("config", "export", *args, stdout=out)
    return out.getvalue()


def test_the_demo_exported_reads_back_to_what_the_database_holds(demo):
    text = export()
    config = normal.load(text).config
    assert config == config_export(now=clock.now())
    assert [s["name"] for s in config["schedules"]] == ["Primary", "Secondary"]
    primary = config["schedules"][0]
    assert [layer["time_zone"] for layer in primary["layers"]] == [
        "America/Sao_Paulo",
        "Europe/Lisbon",
        "Asia/Singapore",
    ]
    # A layer's handoff is written in its own zone, as its people read it.
    assert "handoff: '2026-01-05T08:00:00+08:00'" in text
    assert export() == text  # the same database, the same file


def test_a_token_is_never_in_the_file_and_ended_things_are_left_out(demo):
    cdn = Service.objects.get(name="cdn")
    _, token = integration_create(service=cdn, kind="alertmanager", name="prod")
    now = clock.now()
    ana = Person.objects.get(user__username="ana")
    primary = Schedule.objects.get(name="Primary")
    Override.objects.create(
        schedule=primary,
        person=ana,
        start=now - timedelta(days=3),
        end=now - timedelta(days=2),
        reason="over",
    )
    Override.objects.create(
        schedule=primary,
        person=ana,
        start=now + timedelta(days=1),
        end=now + timedelta(days=2),
        reason="dentist",
    )
    MaintenanceWindow.objects.create(
        service=cdn, start=now - timedelta(hours=2), end=now - timedelta(hours=1), reason="past"
    )
    text = export()
    assert token not in text
    assert "name: prod" in text and "kind: alertmanager" in text
    assert "dentist" in text and "reason: over" not in text and "past" not in text


def test_one_team_brings_the_people_it_names_and_nothing_of_other_teams(demo, elsewhere):
    outsider = person_create(
        username="zoe",
        display_name="Zoe",
        email="zoe@pay.example",
        team=Team.objects.get(name="Payments"),
    )
    config = normal.load(export("--team", "Payments")).config
    assert [t["name"] for t in config["teams"]] == ["Payments"]
    assert [p["email"] for p in config["people"]] == [outsider.user.email]
    assert [s["name"] for s in config["services"]] == ["ledger"]
    with pytest.raises(CommandError, match="No team is named 'Nobody'"):
        export("--team", "Nobody")


def test_the_queries_do_not_grow_with_the_organisation(demo, elsewhere):
    def queries() -> int:
        with CaptureQueriesContext(connection) as seen:
            config_export(now=clock.now())
        return len(seen)

    before = queries()
    for n in range(5):
        team = Team.objects.create(name=f"Team {n}", slug=f"team-{n}")
        person_create(username=f"p{n}", display_name=f"P {n}", email=f"p{n}@x.example", team=team)
        Service.objects.create(team=team, name=f"svc-{n}")
    assert queries() == before


def test_a_person_without_an_e_mail_is_named_rather_than_left_out(demo):
    user = Person.objects.get(user__username="ana").user
    user.email = ""
    user.save()
    with pytest.raises(CommandError, match=r"Ana Souza \(login ana\) has no e-mail"):
        export()
