"""The demo organisation's services: the stages a viewer's request passes through."""

from django.db import transaction

from incidents.models import EscalationPolicy, EscalationStep, EscalationTarget, Service
from oncall.demo import demo_load as people_and_schedules_load
from oncall.models import Schedule, Team

SERVICES = (
    ("edge", "Request edge: load balancers and TLS termination"),
    ("auth", "Authentication: sign-in, sessions and entitlements"),
    ("catalog", "Content lookup: catalogue and search"),
    ("processing", "Processing: transcoding and packaging"),
    ("cdn", "Delivery: the CDN that carries the video"),
    ("playback", "Playback: players and their session API"),
)


POLICY_NAME = "Platform SRE default"
POLICY_REPEAT = 2
# (target, minutes until the next step): Primary at once, Secondary after 5 minutes, the manager
# after 15, then the whole policy again, twice.
POLICY_STEPS = (("Primary", 5), ("Secondary", 10), ("manager", 15))


def _policy(team: Team) -> EscalationPolicy:
    policy, _ = EscalationPolicy.objects.update_or_create(
        name=POLICY_NAME, defaults={"team": team, "repeat": POLICY_REPEAT}
    )
    policy.steps.all().delete()
    for position, (target, minutes) in enumerate(POLICY_STEPS):
        step = EscalationStep.objects.create(
            policy=policy, position=position, escalate_after_minutes=minutes
        )
        if target == "manager":
            EscalationTarget.objects.create(step=step, kind="person", person=team.manager)
        else:
            schedule = Schedule.objects.get(name=target)
            EscalationTarget.objects.create(step=step, kind="schedule", schedule=schedule)
    return policy


@transaction.atomic
def demo_load() -> Team:
    """Load the demo people and schedules, then their services; running it again changes nothing."""
    team = people_and_schedules_load()
    policy = _policy(team)
    for name, description in SERVICES:
        Service.objects.update_or_create(
            name=name,
            defaults={"description": description, "team": team, "escalation_policy": policy},
        )
    return team
