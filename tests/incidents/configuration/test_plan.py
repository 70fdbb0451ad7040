"""config plan: what a file would change, read and never written, each change at its line."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.configuration.normal import ConfigInvalid
from incidents.models import Service
from incidents.rehearsals.twins import twin_for
from incidents.services.service_admin import service_create
from oncall.models import Person, Team

from .test_apply import smaller
from .world import FILE, NOW, apply, edited, plan

pytestmark = pytest.mark.django_db


def line_of(needle: str, text: str = FILE) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def test_against_an_empty_database_everything_is_created_each_at_its_line():
    planned = plan()
    assert {change.action for change in planned.changes} == {"create"}
    assert planned.summary() == "Plan: 16 to create, 0 to change, 0 to delete."
    at = {change.label: (change.line, change.path) for change in planned.changes}
    assert at["schedule 'Follow the sun'"] == (line_of("- name: Follow the sun"), "schedules[0]")
    assert at["integration cdn/heartbeat 'cron'"] == (
        line_of("{kind: heartbeat"),
        "services[0].integrations[1]",
    )
    assert at["contact method bo@example.com 'email bo@example.com'"] == (
        line_of("{kind: email, address: bo@example.com"),
        "people[1].contact_methods[0]",
    )
    assert at["person 'cy@example.com'"] == (line_of("- email: cy@example.com"), "people[2]")
    assert planned.text().splitlines()[0] == "+ team 'SRE'"


def test_a_plan_only_reads(frozen_now):
    frozen_now(NOW)
    apply()
    changed = edited(lambda c: c["services"].pop(1))
    with CaptureQueriesContext(connection) as queries:
        planned = plan(changed, prune=True)
    assert planned.count("delete") == 1
    assert all(q["sql"].lstrip().upper().startswith("SELECT") for q in queries)


def test_changes_read_like_a_terraform_plan(frozen_now):
    frozen_now(NOW)
    apply()

    def changes(config):
        config["services"][0]["escalation_policy"] = "SRE quiet"
        config["services"][0]["integrations"].pop(1)
        config["services"][0]["description"] = "Edge"
        config["services"][0]["escalation_policy"] = "SRE quiet"
        config["schedules"][0]["layers"][0]["participants"].reverse()

    text = edited(changes)
    planned = plan(text, prune=True)
    assert planned.text().splitlines() == [
        "~ schedule 'Follow the sun': layers[0].participants "
        "[ana@example.com, bo@example.com] -> [bo@example.com, ana@example.com]",
        "~ service 'cdn'",
        "    description '' -> 'Edge'",
        "    escalation_policy 'SRE default' -> 'SRE quiet'",
        "- integration cdn/heartbeat 'cron'",
        "",
        "Plan: 0 to create, 2 to change, 1 to delete.",
    ]
    service = next(c for c in planned.changes if c.kind == "service")
    assert service.line == line_of("- name: cdn", text)
    as_dict = planned.as_dict()
    assert as_dict["changes"][1]["fields"][1] == {
        "field": "escalation_policy",
        "before": "SRE default",
        "after": "SRE quiet",
    }
    assert as_dict["summary"] == "Plan: 0 to create, 2 to change, 1 to delete."


def test_ended_overrides_and_windows_in_the_file_are_left_alone(frozen_now):
    frozen_now(NOW)
    apply()

    def past(config):
        config["schedules"][0]["overrides"].append(
            {
                "person": "cy@example.com",
                "start": "2026-11-01T00:00:00Z",
                "end": "2026-11-02T00:00:00Z",
            }
        )
        config["services"][0]["maintenance_windows"].append(
            {"start": "2026-11-01T00:00:00Z", "end": "2026-11-01T01:00:00Z"}
        )

    assert plan(edited(past)).empty


def test_archived_services_and_rehearsal_twins_are_never_listed_nor_touched(frozen_now):
    frozen_now(NOW)
    apply()
    sre = Team.objects.get(name="SRE")
    old = service_create(team=sre, name="old-cdn")
    Service.objects.filter(pk=old.pk).update(archived_at=NOW)
    twin = twin_for(Service.objects.get(name="api"))
    planned = plan(prune=True)
    assert planned.empty and planned.kept == []
    assert "rehearsal" not in planned.text() and "old-cdn" not in planned.text()
    apply(edited(lambda c: c["services"][1].update(description="API")), prune=True)
    assert Service.objects.filter(pk=old.pk, archived_at=NOW).exists()
    twin.refresh_from_db()
    assert twin.rehearsal_of.name == "api"


def test_a_person_is_the_same_whatever_the_case_of_their_e_mail(frozen_now):
    frozen_now(NOW)
    apply()
    text = FILE.replace("bo@example.com", "Bo@Example.com")
    text = text.replace("address: Bo@Example.com", "address: bo@example.com")
    assert plan(text).empty
    assert plan(text.replace("name: Bo\n", "name: Bo Lee\n")).text().splitlines()[0] == (
        "~ person 'Bo@Example.com': name 'Bo' -> 'Bo Lee'"
    )


def test_a_new_name_another_team_or_an_archived_service_holds_is_named_in_the_plan(frozen_now):
    frozen_now(NOW)
    apply()
    Service.objects.filter(name="api").update(archived_at=NOW)
    text = FILE.replace("name: SRE\n", "name: Web\n").replace("team: SRE", "team: Web")
    text = text.replace("team_all: SRE", "team_all: Web")
    with pytest.raises(ConfigInvalid) as raised:
        plan(text)
    said = {problem.path: problem.message for problem in raised.value.problems}
    assert said["schedules[0]"] == (
        "a schedule named 'Follow the sun' exists in the team 'SRE', which the file does not "
        "name: add that team to the file, or choose another name"
    )
    assert said["services[1]"].startswith("a service named 'api' exists, archived")
    assert len(said) == 5  # two policies, two services, one schedule


def test_an_archived_persons_e_mail_is_named_in_the_plan(frozen_now):
    frozen_now(NOW)
    apply()
    apply(edited(smaller), prune=True)
    assert not Person.objects.get(user__email="cy@example.com").user.is_active
    with pytest.raises(ConfigInvalid) as raised:
        plan()
    (problem,) = raised.value.problems
    assert (problem.path, problem.message) == (
        "people[2]",
        "cy@example.com is the e-mail of an archived person; give another",
    )
