"""config apply: the database made to match a file, through the services, in one transaction."""

import pytest

from incidents.models import EscalationPolicy, Integration, Service
from oncall.models import AuditEntry, ContactMethod, Person, Schedule, Team

from .world import NOW, apply, plan

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
