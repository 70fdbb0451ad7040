"""config apply: the database made to match a file, through the services, in one transaction."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.models import EscalationPolicy, Integration, Service
from oncall.models import AuditEntry, ContactMethod, Person, Schedule, Team

from .world import NOW, apply, edited, plan

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
