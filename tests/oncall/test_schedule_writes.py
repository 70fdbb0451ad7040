"""The schedule writes as the shell and the web call them (oncall/services/schedules.py,
layers.py, overrides.py): whole or nothing, members only, the version moved by every write."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError

from incidents.models import EscalationPolicy, EscalationStep, EscalationTarget
from oncall import audit, services
from oncall.models import Layer, LayerMember, Override, Schedule, Team
from oncall.services import LayerSpec, OverrideSpec, RestrictionSpec
from tests.incidents.test_chaos import concurrently

MONDAY_9 = datetime(2027, 1, 4, 9, tzinfo=UTC)


@pytest.fixture
def team(db):
    return Team.objects.create(name="Payments", slug="payments")


@pytest.fixture
def people(team):
    found = [
        services.person_create(username=name.lower(), display_name=name)
        for name in ("Ana", "Bruno")
    ]
    for person in found:
        services.team_member_set(team=team, person=person)
    return found


@pytest.fixture
def outsider(db):
    return services.person_create(username="zed", display_name="Zed Outsider")


def weekly(people, **extra) -> LayerSpec:
    values = {
        "name": "Weekly",
        "participants": people,
        "turn_unit": "weeks",
        "turn_count": 1,
        "handoff": MONDAY_9,
        "time_zone": "Europe/Lisbon",
        **extra,
    }
    return LayerSpec(**values)


def version(schedule) -> int:
    return Schedule.objects.get(pk=schedule.pk).version


def test_a_schedule_and_its_layers_are_saved_whole_or_not_at_all(team, people, outsider):
    with pytest.raises(ValidationError) as refused:
        services.schedule_create(
            team=team,
            name="Primary",
            layers=[weekly(people), weekly([people[0], outsider], name="Second")],
        )
    assert refused.value.message_dict == {
        "layers[1].participants": ["Zed Outsider is not a member of the team."]
    }
    assert not Schedule.objects.exists() and not Layer.objects.exists()

    daytime = RestrictionSpec("daily", time(9), timedelta(hours=8))
    schedule = services.schedule_create(
        team=team,
        name="Primary",
        layers=[weekly(people), weekly(people[::-1], restrictions=[daytime])],
    )
    assert list(schedule.layers.values_list("position", flat=True)) == [0, 1]
    assert LayerMember.objects.filter(layer__schedule=schedule).count() == 4


def test_replacing_participants_moves_the_version_and_refuses_strangers(team, people, outsider):
    schedule = services.schedule_create(team=team, name="Primary", layers=[weekly(people)])
    layer = schedule.layers.get()
    before = version(schedule)
    with pytest.raises(ValidationError, match="Zed Outsider is not a member of the team"):
        services.layer_update(layer=layer, participants=[outsider])
    assert version(schedule) == before
    services.layer_update(layer=layer, participants=[people[1]])
    assert version(schedule) > before
    assert list(layer.members.values_list("person", flat=True)) == [people[1].pk]


def test_many_overrides_are_one_insert_with_one_version_bump(team, people, monkeypatch):
    schedule = services.schedule_create(team=team, name="Primary", layers=[weekly(people)])
    audited = []
    monkeypatch.setattr(audit, "audit_bulk_created", audited.append)
    before = version(schedule)
    specs = [
        OverrideSpec(
            people[n % 2], MONDAY_9 + timedelta(days=n), MONDAY_9 + timedelta(days=n, hours=2)
        )
        for n in range(10)
    ]
    made = services.overrides_create(schedule=schedule, overrides=specs)
    assert version(schedule) == before + 1
    assert [[o.pk for o in objects] for objects in audited] == [[o.pk for o in made]]
    assert Override.objects.filter(schedule=schedule).count() == 10

    backwards = OverrideSpec(people[0], MONDAY_9, MONDAY_9 - timedelta(hours=1))
    with pytest.raises(ValidationError) as refused:
        services.overrides_create(schedule=schedule, overrides=[specs[0], backwards])
    assert list(refused.value.message_dict) == ["[1].end"]
    assert Override.objects.filter(schedule=schedule).count() == 10


def test_a_schedule_a_policy_pages_is_not_deleted(team, people):
    schedule = services.schedule_create(team=team, name="Primary", layers=[weekly(people)])
    policy = EscalationPolicy.objects.create(name="Payments default", team=team)
    step = EscalationStep.objects.create(policy=policy, position=0)
    EscalationTarget.objects.create(step=step, kind="schedule", schedule=schedule)
    with pytest.raises(ProtectedError, match="escalation policy Payments default"):
        services.schedule_delete(schedule=schedule)
    assert Schedule.objects.filter(pk=schedule.pk).exists()
    step.delete()
    services.schedule_delete(schedule=schedule)
    assert not Schedule.objects.exists() and not Layer.objects.exists()


@pytest.mark.postgres
def test_layers_added_at_once_each_find_a_place_on_top(transactional_db):
    team = Team.objects.create(name="Payments", slug="payments")
    person = services.person_create(username="ana", display_name="Ana")
    services.team_member_set(team=team, person=person)
    schedule = services.schedule_create(team=team, name="Primary")
    concurrently(
        lambda n: services.layer_create(schedule=schedule, **vars(weekly([person], name=f"L{n}"))),
        threads=8,
    )
    assert sorted(schedule.layers.values_list("position", flat=True)) == list(range(8))
