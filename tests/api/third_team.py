"""A third team, "green", whose admin is also red's admin: for what a caller sees in two teams
(a policy of one team named for a service of the other, a move between them)."""

from dataclasses import dataclass

from incidents.models import EscalationPolicy, EscalationStep, EscalationTarget
from oncall.models import Person, Schedule, Team
from oncall.services import person_create, team_member_set


@dataclass
class Green:
    team: Team
    member: Person  # in green only
    schedule: Schedule
    policy: EscalationPolicy


def green_team(red) -> Green:
    """Make "green", with red's admin as its admin, a member of its own, a schedule, a policy."""
    team = Team.objects.create(name="Green", slug="green")
    team_member_set(team=team, person=red.people["admin"], role="admin")
    member = person_create(username="green-member", display_name="Gil Green")
    team_member_set(team=team, person=member, role="responder")
    schedule = Schedule.objects.create(name="green-primary", team=team)
    policy = EscalationPolicy.objects.create(name="green-policy", team=team)
    step = EscalationStep.objects.create(policy=policy, position=0)
    EscalationTarget.objects.create(step=step, kind="person", person=member)
    return Green(team=team, member=member, schedule=schedule, policy=policy)
