"""Who may see and change a team's configuration in the browser: the API's rule, from
oncall/api/access.py. Another team's object does not exist (404); a role below admin reads the
page without its controls, and its POST is refused with a 403 page."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import render

from oncall.api.access import ADMIN, VIEWER, team_allows, teams_with


def visible(request, objects: QuerySet, team_path: str = "team") -> QuerySet:
    """Return `objects` of the teams the request holds any role in."""
    return objects.filter(**{f"{team_path}__in": teams_with(request, VIEWER)})


def visible_or_404(request, objects: QuerySet, pk: int, team_path: str = "team"):
    """Return object `pk` of `objects` if the request sees its team, else raise 404."""
    found = visible(request, objects, team_path).filter(pk=pk).first()
    if found is None:
        raise Http404("No such object in your teams.")
    return found


def admin_team_ids(request) -> list[int]:
    """Return the ids of the teams the request administers."""
    return teams_with(request, ADMIN)


def administers(request, team_id: int) -> bool:
    return team_allows(request, team_id, ADMIN)


def refused(request, what: str):
    """Answer 403: the request's role is too small to `what`; nothing was changed."""
    message = f"You need the admin role in the team to {what}. Nothing was changed."
    context = {"heading": "You may not change this", "message": message}
    return render(request, "incidents/act_refused.html", context, status=403)
