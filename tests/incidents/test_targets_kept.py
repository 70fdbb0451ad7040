"""A person, schedule or team an escalation policy pages is not deleted from under it, by the
admin or the shell either; deleting the whole team takes its policies with it."""

import pytest
from django.db.models import RestrictedError

from incidents.models import EscalationPolicy, EscalationStep, EscalationTarget
from oncall.models import Person, Schedule, Team
from oncall.services import person_create, team_member_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def paged():
    team = Team.objects.create(name="Edge", slug="edge")
    person = person_create(username="ana", display_name="Ana")
    team_member_set(team=team, person=person, role="admin")
    schedule = Schedule.objects.create(name="Edge primary", team=team)
    policy = EscalationPolicy.objects.create(name="Edge default", team=team)
    step = EscalationStep.objects.create(policy=policy, position=0)
    for kind, subject in (("schedule", schedule), ("person", person), ("team_all", team)):
        field = {"schedule": "schedule", "person": "person"}.get(kind, "team")
        EscalationTarget.objects.create(step=step, kind=kind, **{field: subject})
    return team, person, schedule, policy


def test_a_paged_schedule_or_person_is_not_deleted_from_under_the_policy(paged):
    team, person, schedule, policy = paged
    with pytest.raises(RestrictedError):
        schedule.delete()
    with pytest.raises(RestrictedError):
        person.user.delete()
    assert EscalationTarget.objects.filter(step__policy=policy).count() == 3
    assert Schedule.objects.filter(pk=schedule.pk).exists()


def test_deleting_the_team_takes_its_policies_and_their_targets_with_it(paged):
    team, person, schedule, policy = paged
    team.delete()
    assert not EscalationPolicy.objects.filter(pk=policy.pk).exists()
    assert not EscalationTarget.objects.exists()
    assert Person.objects.filter(pk=person.pk).exists()
