"""What every team-scoped API resource shares: only the caller's teams' objects exist."""

from __future__ import annotations

from django.db.models import Q
from rest_framework import viewsets

from oncall.api.access import ADMIN, VIEWER, team_roles, teams_with
from oncall.models import Membership, Person


class TeamScopedReadOnlyViewSet(viewsets.ReadOnlyModelViewSet):
    """A resource that belongs to a team through `team_path`; another team's objects are not
    found (404), exactly as a missing one. Writes come with the configuration API (part 2)."""

    team_path = "team"

    def get_queryset(self):
        visible = teams_with(self.request, VIEWER)
        return super().get_queryset().filter(**{f"{self.team_path}__in": visible})


def visible_people(request):
    """Return the people the request can see: members of its teams, and its own person; a
    superuser sees everyone, those in no team and the archived too."""
    if request.user.is_superuser:
        return Person.objects.all()
    members = Membership.objects.filter(team__in=teams_with(request, VIEWER)).values("person")
    return Person.objects.filter(Q(pk__in=members) | Q(user=request.user))


def people_shown_whole(request) -> set[int]:
    """Return the ids of the people whose contact addresses the request sees whole: its own
    person, and the members of the teams it is an admin of. Everyone else's are masked."""
    admin_of = [team for team, role in team_roles(request).items() if role == ADMIN]
    members = Membership.objects.filter(team__in=admin_of).values_list("person_id", flat=True)
    own = Person.objects.filter(user=request.user).values_list("pk", flat=True)
    return set(members) | set(own)
