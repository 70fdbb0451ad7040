"""Fixtures for the REST API: two teams, each with a person in every role, a schedule, a policy,
a service with an integration and a declared incident; API clients holding tokens of a scope."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from incidents.models import EscalationPolicy, EscalationStep, EscalationTarget, Service
from incidents.services.declare import incident_declare
from incidents.services.integrations import integration_create
from oncall.models import Membership, Schedule, Team
from oncall.services import (
    contact_method_create,
    layer_create,
    notification_rule_create,
    person_create,
    team_member_set,
)
from oncall.tokens import api_token_create

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@dataclass
class TeamWorld:
    team: Team
    people: dict = field(default_factory=dict)  # role -> Person
    schedule: Schedule | None = None
    policy: EscalationPolicy | None = None
    service: Service | None = None
    integration: object = None
    integration_token: str = ""
    incident: object = None


def team_world(slug: str) -> TeamWorld:
    """Build one team with an admin, a responder and a viewer, and what they run."""
    team = Team.objects.create(name=slug.title(), slug=slug)
    world = TeamWorld(team=team)
    for index, role in enumerate(Membership.Role.values):
        person = person_create(username=f"{slug}-{role}", display_name=f"{slug} {role}")
        team_member_set(team=team, person=person, role=role)
        number = f"+1212555{(0 if slug == 'red' else 5) + index:04d}"
        method = contact_method_create(person=person, kind="sms", address=number, verified=True)
        for urgency in ("high", "low"):
            notification_rule_create(contact_method=method, delay_minutes=0, urgency=urgency)
        world.people[role] = person
    world.schedule = Schedule.objects.create(name=f"{slug}-primary", team=team)
    layer_create(
        schedule=world.schedule,
        name="weekly",
        participants=[world.people["responder"], world.people["admin"]],
        turn_unit="weeks",
        turn_count=1,
        handoff=T0 - timedelta(days=7),
        time_zone="Europe/Lisbon",
    )
    world.policy = EscalationPolicy.objects.create(name=f"{slug}-policy", team=team)
    step = EscalationStep.objects.create(policy=world.policy, position=0)
    EscalationTarget.objects.create(step=step, kind="schedule", schedule=world.schedule)
    world.service = Service.objects.create(
        name=f"{slug}-cdn", team=team, escalation_policy=world.policy
    )
    world.integration, world.integration_token = integration_create(
        service=world.service, kind="webhook", name=f"{slug} prometheus", now=T0
    )
    world.incident = incident_declare(service=world.service, title=f"{slug} is down", now=T0)
    return world


@pytest.fixture
def worlds(db):
    """Two teams, "red" and "blue", that must never see each other's objects."""
    cache.clear()  # the throttle's counts
    yield team_world("red"), team_world("blue")
    cache.clear()


def token_for(person, scope: str, **options) -> str:
    _, secret = api_token_create(
        user=person.user, name=f"{scope} token", scope=scope, now=T0, **options
    )
    return secret


def client_for(person, scope: str) -> APIClient:
    """An API client holding a bearer token of `scope` for `person`."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(person, scope)}")
    return client


@pytest.fixture
def api(worlds):
    """api(role, scope="admin", team="red") -> a client for that member of that team."""

    def make(role: str = "admin", scope: str = "admin", team: str = "red") -> APIClient:
        world = worlds[0] if team == "red" else worlds[1]
        return client_for(world.people[role], scope)

    return make
