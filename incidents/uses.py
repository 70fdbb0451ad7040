"""What of the upper layer still relies on a person or a team (oncall.uses asks): the
escalation policies that page them, and a team's services."""

from __future__ import annotations

from incidents.models import EscalationPolicy, EscalationTarget, Service
from oncall.models import Person, Team
from oncall.uses import uses_asked

TEAM_KINDS = (EscalationTarget.Kind.TEAM_ALL, EscalationTarget.Kind.TEAM_ROUND_ROBIN)


def person_uses(sender, *, person: Person, within: Team | None = None, **kwargs) -> list[str]:
    """Name the escalation policies (of team `within`, if given) that page `person` by name."""
    policies = EscalationPolicy.objects.filter(
        steps__targets__kind=EscalationTarget.Kind.PERSON, steps__targets__person=person
    )
    if within is not None:
        policies = policies.filter(team=within)
    names = policies.order_by("name").values_list("name", flat=True).distinct()
    return [f"the escalation policy {name}" for name in names]


def team_uses(sender, *, team: Team, **kwargs) -> list[str]:
    """Name the team's escalation policies and services, and count other teams' policies that
    page it (without naming them: the team's admins may not see those)."""
    uses = [f"the escalation policy {p.name}" for p in team.escalation_policies.all()]
    uses += [f"the service {s.name}" for s in Service.objects.filter(team=team)]
    elsewhere = (
        EscalationPolicy.objects.filter(
            steps__targets__kind__in=TEAM_KINDS, steps__targets__team=team
        )
        .exclude(team=team)
        .distinct()
        .count()
    )
    if elsewhere == 1:
        uses.append("an escalation policy of another team that pages it")
    elif elsewhere:
        uses.append(f"{elsewhere} escalation policies of other teams that page it")
    return uses


def connect() -> None:
    """Answer oncall.uses' questions (at start-up)."""
    uses_asked.connect(person_uses, sender=Person, dispatch_uid="incidents-person-uses")
    uses_asked.connect(team_uses, sender=Team, dispatch_uid="incidents-team-uses")
