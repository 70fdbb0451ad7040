"""Who may see and do what through the API: the one place that answers it.

A role is held per team (viewer < responder < admin). A token never acts above its scope: a read
token is at most a viewer, a respond token at most a responder, an admin token at most an admin;
a request may do the lesser of its token's scope and its person's role in the team. A browser
session is not capped. A Django superuser is an admin of every team. Objects of a team the
caller holds no role in do not exist for it (404, never 403).

The incident actions call require_role(request, team_id, RESPONDER, "acknowledge") as they are.
"""

from __future__ import annotations

from rest_framework import exceptions

from oncall.models import ApiToken, Membership, Team

VIEWER, RESPONDER, ADMIN = (
    Membership.Role.VIEWER,
    Membership.Role.RESPONDER,
    Membership.Role.ADMIN,
)
RANK = {VIEWER: 1, RESPONDER: 2, ADMIN: 3}
SCOPE_CAP = {
    ApiToken.Scope.READ: VIEWER,
    ApiToken.Scope.RESPOND: RESPONDER,
    ApiToken.Scope.ADMIN: ADMIN,
}


def roles_of(*, user, scope: str | None = None) -> dict[int, str]:
    """Return {team id: role} that `user` may act with, capped by a token's `scope` if given."""
    if user is None or not user.is_authenticated or not user.is_active:
        return {}
    if user.is_superuser:
        roles = dict.fromkeys(Team.objects.values_list("pk", flat=True), ADMIN)
    else:
        roles = dict(Membership.objects.filter(person__user=user).values_list("team_id", "role"))
    cap = SCOPE_CAP[scope] if scope is not None else ADMIN
    return {team: role if RANK[role] <= RANK[cap] else cap for team, role in roles.items()}


def team_roles(request) -> dict[int, str]:
    """Return {team id: role} for the request (its user, capped by its token), once a request."""
    cached = getattr(request, "_plantao_roles", None)
    if cached is None:
        token = getattr(request, "auth", None)
        scope = token.scope if isinstance(token, ApiToken) else None
        cached = roles_of(user=request.user, scope=scope)
        request._plantao_roles = cached
    return cached


def teams_with(request, role: str = VIEWER) -> list[int]:
    """Return the ids of the teams where the request holds at least `role`."""
    return [team for team, held in team_roles(request).items() if RANK[held] >= RANK[role]]


def acts_as_superuser(request) -> bool:
    """Return whether the request reaches every team: a superuser's, with no token below admin."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active or not user.is_superuser:
        return False
    token = getattr(request, "auth", None)
    return not isinstance(token, ApiToken) or token.scope == ApiToken.Scope.ADMIN


def team_allows(request, team_id: int | None, role: str) -> bool:
    """Return whether the request holds at least `role` in team `team_id`."""
    held = team_roles(request).get(team_id)
    return held is not None and RANK[held] >= RANK[role]


def require_role(request, team_id: int | None, role: str, what: str) -> None:
    """Refuse unless the request holds `role` in team `team_id`: 404 when it holds no role
    there at all (the object does not exist for it), 403 when its role or scope is too small."""
    held = team_roles(request).get(team_id)
    if held is None:
        raise exceptions.NotFound()
    if RANK[held] < RANK[role]:
        token = getattr(request, "auth", None)
        note = f" (this token's scope is {token.scope})" if isinstance(token, ApiToken) else ""
        raise exceptions.PermissionDenied(
            f"You need the {role} role in the team to {what}; you act as {held}{note}."
        )


def token_scope(request) -> str | None:
    """Return the scope of the request's token, or None for a browser session."""
    token = getattr(request, "auth", None)
    return token.scope if isinstance(token, ApiToken) else None


def require_superuser(request, what: str) -> None:
    """Refuse (403) unless the request acts as a superuser."""
    if not acts_as_superuser(request):
        scope = token_scope(request)
        note = f" with an admin token (this one's scope is {scope})" if scope else ""
        raise exceptions.PermissionDenied(f"Only a superuser may {what}{note}.")


def administers(request, person) -> bool:
    """Return whether the request is an admin of a team `person` is in, or a superuser."""
    if acts_as_superuser(request):
        return True
    teams = Membership.objects.filter(person=person).values_list("team_id", flat=True)
    return any(team_allows(request, team, ADMIN) for team in teams)


def require_person_editor(request, person, what: str) -> None:
    """Refuse (403) unless the request may change `person`'s profile, contact methods and
    notification rules: they themselves (with a respond or admin token, or in the browser), an
    admin of one of their teams, or a superuser. Whoever cannot see them got a 404 already."""
    if person.user_id == request.user.pk:
        if token_scope(request) == ApiToken.Scope.READ:
            raise exceptions.PermissionDenied(
                f"A read token cannot {what}; use a respond or admin token."
            )
        return
    if not administers(request, person):
        raise exceptions.PermissionDenied(
            f"You need the admin role in one of {person}'s teams to {what}."
        )


def require_admin_of_every_team(request, person, what: str) -> None:
    """Refuse (403) unless the request is an admin of every team `person` is in (a change that
    takes them out of all of them), or a superuser."""
    if acts_as_superuser(request):
        return
    teams = list(Membership.objects.filter(person=person).values_list("team_id", flat=True))
    if not teams or not all(team_allows(request, team, ADMIN) for team in teams):
        raise exceptions.PermissionDenied(
            f"You need the admin role in every team {person} is in to {what}."
        )


def require_may_mark_verified(request, person) -> None:
    """Refuse (403) to mark `person`'s contact method verified without a code (an import's
    need), unless the request is an admin of one of their teams or a superuser."""
    if not administers(request, person):
        raise exceptions.PermissionDenied(
            "Only an admin of one of their teams may mark a contact method verified; "
            "send it a code instead."
        )
