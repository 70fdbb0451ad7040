"""The incident pages people read: the board, and one incident with its alerts, timeline and
pages. Read-only for now; acting on an incident from the web comes later."""

from __future__ import annotations

from datetime import UTC, tzinfo
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from incidents import selectors


def _viewer_zone(request) -> tzinfo:
    """Return the zone the viewer reads times in: their on-call profile's, else UTC."""
    person = getattr(request.user, "person", None)
    return ZoneInfo(person.time_zone) if person else UTC


@login_required
@require_GET
def incident_list(request):
    board = selectors.incidents_board()
    context = {"board": board, "zone": _viewer_zone(request)}
    return render(request, "incidents/incidents_list.html", context)


@login_required
@require_GET
def incident_detail(request, number: int):
    detail = selectors.incident_detail(number=number)
    if detail is None:
        raise Http404("No such incident.")
    context = {"detail": detail, "incident": detail.incident, "zone": _viewer_zone(request)}
    return render(request, "incidents/incident_detail.html", context)
