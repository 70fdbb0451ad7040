"""config apply: the database made to match a file, through the services, in one transaction."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.configuration.normal import ConfigInvalid
from incidents.models import EscalationPolicy, Integration, Service
from oncall import services
from oncall.channels.recording import sends
from oncall.models import AuditEntry, ContactMethod, Person, Schedule, Team

from .world import FILE, NOW, apply, edited, plan

pytestmark = pytest.mark.django_db


def test_an_empty_database_gets_everything_in_the_file(frozen_now):
    frozen_now(NOW)
    applied = apply()
    assert applied.written
    sre = Team.objects.get(name="SRE")
    assert sre.manager.user.email == "ana@example.com"
    assert sorted(sre.memberships.values_list("person__user__email", "role")) == [
        ("ana@example.com", "admin"),
        ("bo@example.com", "responder"),
        ("cy@example.com", "responder"),
    ]
    schedule = Schedule.objects.get(name="Follow the sun")
    assert [layer.name for layer in schedule.layers.order_by("position")] == ["Americas", "Europe"]
    assert schedule.overrides.count() == 1
    assert EscalationPolicy.objects.get(name="SRE default").steps.count() == 2
    assert Service.objects.get(name="cdn").escalation_policy.name == "SRE default"
    assert [(n.service, n.kind, n.name) for n in applied.integrations] == [
        ("cdn", "alertmanager", "prod"),
        ("cdn", "heartbeat", "cron"),
    ]
    assert all(n.token in n.url or n.kind == "pagerduty" for n in applied.integrations)
    assert Integration.objects.count() == 2
    assert plan().empty


def entries_after(last_id: int):
    return AuditEntry.objects.filter(pk__gt=last_id).order_by("pk")


def last_entry() -> int:
    return AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def test_every_entry_names_the_file_and_the_source_config(frozen_now, django_user_model):
    frozen_now(NOW)
    admin = django_user_model.objects.create_user("root", "root@example.com")
    apply(actor=admin)
    entries = AuditEntry.objects.all()
    assert entries.count() > 20
    assert set(entries.values_list("origin", "source", "actor")) == {
        ("plantao.yaml", "config", "root")
    }


def test_applying_again_writes_nothing_and_says_so(frozen_now):
    frozen_now(NOW)
    apply()
    versions = (
        list(Schedule.objects.values_list("version", flat=True)),
        list(EscalationPolicy.objects.values_list("version", flat=True)),
    )
    before = last_entry()
    with CaptureQueriesContext(connection) as queries:
        again = apply()
    assert not again.written and again.plan.empty
    assert "No changes: the database already matches the file." in again.plan.text()
    writes = [q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith("SELECT")]
    assert writes == []
    assert last_entry() == before
    assert versions == (
        list(Schedule.objects.values_list("version", flat=True)),
        list(EscalationPolicy.objects.values_list("version", flat=True)),
    )


def _set(*path_and_value):
    *path, value = path_and_value

    def change(config):
        target = config
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value

    return change


ONE_CHANGE = {
    "team": (_set("teams", 0, "slack_channel", "C0123ABCD"), {"team"}),
    "member": (_set("teams", 0, "members", 1, "role", "admin"), {"membership"}),
    "person": (_set("people", 1, "name", "Bo Lee"), {"person"}),
    "contact method": (
        _set("people", 1, "contact_methods", 0, "label", "home"),
        {"contact_method"},
    ),
    "rule": (
        _set(
            "people",
            1,
            "contact_methods",
            0,
            "rules",
            [{"urgency": "high"}, {"urgency": "low", "after_minutes": 5}],
        ),
        {"notification_rule"},
    ),
    "schedule": (_set("schedules", 0, "description", "Round the clock"), {"schedule"}),
    "layer": (_set("schedules", 0, "layers", 1, "name", "EMEA"), {"layer"}),
    "override": (_set("schedules", 0, "overrides", 0, "reason", "Christmas"), {"override"}),
    "policy": (_set("escalation_policies", 0, "repeat", 2), {"escalation_policy"}),
    "service": (_set("services", 0, "description", "Edge cache"), {"service"}),
    "window": (
        _set("services", 0, "maintenance_windows", 0, "reason", "kernel"),
        {"maintenance_window"},
    ),
    "integration": (
        _set("services", 0, "integrations", 0, "rate_limit_per_second", 10),
        {"integration"},
    ),
}


@pytest.mark.parametrize("kind", ONE_CHANGE)
def test_one_change_in_the_file_touches_that_object_only(kind, frozen_now):
    frozen_now(NOW)
    apply()
    before = last_entry()
    change, touched = ONE_CHANGE[kind]
    applied = apply(edited(change))
    assert applied.plan.count("update") == 1 and len(applied.plan.changes) == 1
    entries = list(entries_after(before))
    assert {entry.object_type for entry in entries} == touched
    assert len({entry.object_id for entry in entries}) == 1
    assert plan(edited(change)).empty


def smaller(config):
    """Leave out a service, a policy, an integration, a window, an override, a contact method,
    and Cy (their layer too)."""
    del config["services"][1]
    del config["escalation_policies"][1]
    cdn = config["services"][0]
    del cdn["integrations"][1]
    cdn["maintenance_windows"] = []
    schedule = config["schedules"][0]
    schedule["overrides"] = []
    del schedule["layers"][1]
    del config["people"][0]["contact_methods"][1]
    del config["people"][2]
    del config["teams"][0]["members"][2]


def test_without_prune_what_the_file_leaves_out_is_kept_and_listed(frozen_now):
    frozen_now(NOW)
    apply()
    applied = apply(edited(smaller))
    kept = applied.plan.text()
    for label in (
        "service 'api'",
        "escalation policy 'SRE quiet'",
        "integration cdn/heartbeat 'cron'",
        "maintenance window cdn '2026-12-20T01:00:00Z..2026-12-20T03:00:00Z'",
        "override Follow the sun 'bo@example.com 2026-12-24T00:00:00Z..2026-12-26T00:00:00Z'",
        "contact method ana@example.com 'email ana@example.com'",
        "person 'cy@example.com'",
    ):
        assert f"  {label}" in kept
    assert applied.plan.count("delete", "archive") == 0
    assert Service.objects.filter(name="api").exists()
    assert Integration.objects.filter(name="cron").exists()
    assert ContactMethod.objects.filter(address="ana@example.com").exists()
    cy = Person.objects.get(user__email="cy@example.com")
    assert cy.user.is_active and not cy.memberships.exists()  # the team's list is the file's
    assert Schedule.objects.get().layers.count() == 1


def test_prune_deletes_what_the_file_leaves_out_and_archives_its_people(frozen_now):
    frozen_now(NOW)
    apply()
    applied = apply(edited(smaller), prune=True)
    assert "Not in the file" not in applied.plan.text()
    assert applied.plan.count("delete", "archive") == 7
    assert "- person 'cy@example.com' (archived" in applied.plan.text()
    assert not Service.objects.filter(name="api").exists()
    assert not EscalationPolicy.objects.filter(name="SRE quiet").exists()
    assert list(Integration.objects.values_list("name", flat=True)) == ["prod"]
    assert not Service.objects.get(name="cdn").maintenance.exists()
    assert not Schedule.objects.get().overrides.exists()
    assert not ContactMethod.objects.filter(address="ana@example.com").exists()
    assert not Person.objects.get(user__email="cy@example.com").user.is_active
    assert plan(edited(smaller), prune=True).empty


def test_prune_keeps_a_person_who_is_also_in_a_team_the_file_does_not_name(frozen_now):
    frozen_now(NOW)
    apply()
    other = services.team_create(name="Other")
    services.team_member_add(team=other, person=Person.objects.get(user__email="cy@example.com"))
    planned = plan(edited(smaller), prune=True)
    assert "  person 'cy@example.com'" in planned.text()
    assert planned.count("archive") == 0


@pytest.fixture
def sent(settings, tmp_path, monkeypatch):
    """Verification codes go through the recording channel, sent as soon as a commit queues
    them; call the fixture's result to read what was sent."""
    from oncall import tasks
    from oncall.config.celery import app

    settings.PLANTAO_CHANNEL = "recording"
    settings.PLANTAO_RECORDING_PATH = str(tmp_path / "sent.jsonl")
    monkeypatch.setattr(
        app, "send_task", lambda name, args: getattr(tasks, name.rsplit(".", 1)[1])(*args)
    )
    return lambda: sends(settings.PLANTAO_RECORDING_PATH)


def test_new_contact_methods_arrive_unverified_and_are_sent_their_codes(
    frozen_now, sent, django_capture_on_commit_callbacks
):
    frozen_now(NOW)
    with django_capture_on_commit_callbacks(execute=True):
        apply(trust_verified=False)
    assert sorted(message["address"] for message in sent()) == [
        "+5511987654321",
        "ana@example.com",
        "bo@example.com",
    ]
    assert all("code is" in message["body"] for message in sent())
    assert not ContactMethod.objects.filter(verified_at__isnull=False).exists()
    assert not AuditEntry.objects.filter(action="trust_verified").exists()


def test_trust_verified_marks_them_verified_sends_nothing_and_says_so_in_the_log(
    frozen_now, sent, django_capture_on_commit_callbacks
):
    frozen_now(NOW)
    with django_capture_on_commit_callbacks(execute=True):
        apply(trust_verified=True)
    assert sent() == []
    assert not ContactMethod.objects.filter(verified_at__isnull=True).exists()
    trusted = AuditEntry.objects.filter(object_type="contact_method")
    assert set(trusted.values_list("action", "origin", "source")) == {
        ("trust_verified", "plantao.yaml", "config")
    }
    assert trusted.count() == 3


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def test_a_service_refusing_rolls_everything_back_and_names_the_line(frozen_now):
    frozen_now(NOW)
    text = FILE.replace("    escalation_policy: SRE quiet\n", "    slack_channel: not-one\n")
    with pytest.raises(ConfigInvalid) as raised:
        apply(text)
    (problem,) = raised.value.problems
    assert problem.line == line_of(text, "- name: api")
    assert problem.path == "services[1]"
    assert "service 'api': slack_channel: not-one is not a Slack channel id" in problem.message
    assert raised.value.name == "plantao.yaml"
    assert not Team.objects.exists() and not Person.objects.exists()
    assert not AuditEntry.objects.exists()


def test_a_refused_change_leaves_the_changes_before_it_undone(frozen_now):
    frozen_now(NOW)
    apply()
    before = last_entry()

    def two(config):
        config["people"][1]["name"] = "Bo Lee"
        config["services"][0]["slack_channel"] = "nope"

    with pytest.raises(ConfigInvalid, match="cdn"):
        apply(edited(two))
    assert Person.objects.get(user__email="bo@example.com").display_name == "Bo"
    assert last_entry() == before


def test_moving_an_object_to_another_team_is_refused_at_its_team_line(frozen_now):
    frozen_now(NOW)
    apply()

    def moved(config):
        config["teams"].append({"name": "Ops", "members": [{"person": "bo@example.com"}]})
        config["services"][1]["team"] = "Ops"
        config["services"][1]["escalation_policy"] = None

    text = edited(moved)
    with pytest.raises(ConfigInvalid) as raised:
        plan(text)
    (problem,) = raised.value.problems
    assert problem.path == "services[1].team"
    assert problem.line == line_of(text, "team: Ops")
    assert "a service stays in its team ('SRE')" in problem.message


def many(config):
    """Change nearly everything at once: the admin handed over, a new manager, layers added,
    changed and removed, steps rewritten, a policy and its schedule pruned together."""
    team = config["teams"][0]
    team["members"][0]["role"] = "responder"
    team["members"][1]["role"] = "admin"
    team["manager"] = "bo@example.com"
    team["rest_after_sleep_pages"] = 3
    config["teams"].append(
        {"name": "Ops", "rest_notice_nights": 2, "members": [{"person": "cy@example.com"}]}
    )
    schedule = config["schedules"][0]
    schedule["time_zone"] = "Europe/Lisbon"
    schedule["layers"][0]["restrictions"] = [
        {"kind": "weekly", "weekday": "sat", "start": "08:00", "duration": "48:00"}
    ]
    schedule["layers"][1] = {
        "name": "Weekend",
        "turn_unit": "weeks",
        "handoff": "2026-01-03T08:00:00Z",
        "participants": ["cy@example.com", "ana@example.com"],
    }
    schedule["overrides"][0]["person"] = "ana@example.com"
    config["schedules"].append(
        {
            "name": "Ops rota",
            "team": "Ops",
            "layers": [
                {
                    "name": "All",
                    "handoff": "2026-01-01T00:00:00Z",
                    "participants": ["cy@example.com"],
                }
            ],
        }
    )
    config["escalation_policies"][0]["steps"] = [
        {"escalate_after_minutes": 3, "targets": [{"person": "bo@example.com"}]},
        {"targets": [{"schedule": "Follow the sun"}, {"team_round_robin": "SRE"}]},
    ]
    config["escalation_policies"][1] = {
        "name": "Ops default",
        "team": "Ops",
        "repeat": 1,
        "steps": [{"targets": [{"schedule": "Ops rota"}]}],
    }
    config["services"][1] = {"name": "api", "team": "SRE", "urgency_rule": "high"}
    config["services"].append({"name": "ops-db", "team": "Ops", "escalation_policy": "Ops default"})


def test_many_changes_at_once_land_and_a_second_apply_finds_none(frozen_now):
    frozen_now(NOW)
    apply()
    applied = apply(edited(many), prune=True)
    assert applied.plan.count("delete") == 2  # SRE quiet, and Bo's override
    sre = Team.objects.get(name="SRE")
    assert sre.manager.user.email == "bo@example.com" and sre.rest_after_sleep_pages == 3
    assert dict(sre.memberships.values_list("person__user__email", "role")) == {
        "ana@example.com": "responder",
        "bo@example.com": "admin",
        "cy@example.com": "responder",
    }
    assert Team.objects.get(name="Ops").rest_notice_nights == 2
    assert Schedule.objects.get(name="Follow the sun").layers.get(position=1).name == "Weekend"
    assert plan(edited(many), prune=True).empty
