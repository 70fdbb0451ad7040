"""What still relies on a person or a team, so that taking them away is refused with a message
naming it rather than leaving a rota or a policy pointing at nobody.

Each layer answers for its own objects: this one for schedules (layers and overrides), the upper
one (escalation policies, services) through `uses_asked`, since oncall may not import it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.dispatch import Signal

from oncall.models import Layer, Membership, Override, Person, Team

# Sent with sender=Person (and person=, within=: a team or None for every team, now=) or with
# sender=Team (and team=); each receiver returns a list of what it knows relies on them, as
# phrases such as "the escalation policy Platform SRE default".
uses_asked = Signal()


def person_uses(*, person: Person, now: datetime, within: Team | None = None) -> list[str]:
    """Return what still relies on `person` (in team `within` only, if given): the layers they
    take turns in, the overrides they have yet to cover, and what the upper layer names."""
    layers = Layer.objects.filter(members__person=person).select_related("schedule").distinct()
    overrides = Override.objects.filter(person=person, end__gt=now).select_related("schedule")
    if within is not None:
        layers = layers.filter(schedule__team=within)
        overrides = overrides.filter(schedule__team=within)
    uses = [f"the layer {layer.schedule.name} / {layer.name}" for layer in layers]
    uses += [
        f"an override of {o.schedule.name} from {o.start.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
        for o in overrides
    ]
    for _, answer in uses_asked.send(sender=Person, person=person, within=within, now=now):
        uses += answer or []
    return uses


def team_uses(*, team: Team) -> list[str]:
    """Return what the team still holds or is named by: its schedules, and what the upper layer
    names (its policies and services)."""
    uses = [f"the schedule {name}" for name in team.schedules.values_list("name", flat=True)]
    for _, answer in uses_asked.send(sender=Team, team=team):
        uses += answer or []
    return uses


def teams_left_without_admin(*, person: Person) -> list[Team]:
    """Return the teams `person` is the only admin of."""
    admin = Membership.Role.ADMIN
    theirs = Membership.objects.filter(person=person, role=admin).values("team_id")
    return [
        team
        for team in Team.objects.filter(pk__in=theirs)
        if not team.memberships.filter(role=admin).exclude(person=person).exists()
    ]
