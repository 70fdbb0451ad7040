"""The incident pages people read: the board, and one incident with its alerts, timeline and
pages, and (for someone who may act on it) its buttons and forms."""

from __future__ import annotations

from datetime import UTC, tzinfo
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from incidents import selectors
from incidents.access import may_act
from incidents.forms import IncidentFilterForm, NoteForm, PersonForm, SnoozeForm
from incidents.postmortem_access import can_start_postmortem
from incidents.postmortem_selectors import postmortem_of_incident

PAGE_SIZE = 25


def viewer_zone(request) -> tzinfo:
    """Return the zone the viewer reads times in: their on-call profile's, else UTC."""
    person = getattr(request.user, "person", None)
    return ZoneInfo(person.time_zone) if person else UTC


@login_required
@require_GET
def incident_list(request):
    """Show the board (open, then recently resolved), or with any filter given, every matching
    incident newest first, a page at a time; a bad filter is a 400 naming it."""
    zone = viewer_zone(request)
    context = {"zone": zone}
    if not request.GET:
        context |= {
            "form": IncidentFilterForm(),
            "board": selectors.incidents_board(user=request.user),
        }
        return render(request, "incidents/incidents_list.html", context)
    with timezone.override(zone):  # "since" and "until" are read as the viewer's local times
        form = IncidentFilterForm(request.GET)
        valid = form.is_valid()
    context["form"] = form
    if not valid:
        return render(request, "incidents/incidents_list.html", context, status=400)
    matching = selectors.incidents_filtered(user=request.user, **form.filters())
    query = request.GET.copy()
    query.pop("page", None)
    context |= {
        "results": Paginator(matching, PAGE_SIZE).get_page(request.GET.get("page")),
        "query": query.urlencode(),
    }
    return render(request, "incidents/incidents_list.html", context)


@login_required
@require_GET
def incident_detail(request, number: int):
    return incident_page(request, number)


def incident_page(request, number: int, *, status: int = 200):
    """Render incident #number for the request's user, with its controls if they may act."""
    detail = selectors.incident_detail(number=number, user=request.user)
    if detail is None:
        raise Http404("No such incident.")
    incident = detail.incident
    person = getattr(request.user, "person", None)
    actable = may_act(person=person, incident=incident)
    context = {
        "detail": detail,
        "incident": incident,
        "zone": viewer_zone(request),
        "may_act": actable,
        **_postmortem_of(request, incident),
    }
    if actable:
        context |= {
            "snooze_form": SnoozeForm(auto_id="snooze-%s"),
            "reassign_form": PersonForm(
                auto_id="reassign-%s", people=selectors.people_assignable(incident=incident)
            ),
            "responder_form": PersonForm(
                auto_id="responder-%s",
                people=selectors.people_askable(incident=incident, by=person),
            ),
            "note_form": NoteForm(auto_id="note-%s"),
        }
    return render(request, "incidents/incident_detail.html", context, status=status)


def _postmortem_of(request, incident) -> dict:
    """Return the incident's postmortem if the viewer may read it, or whether they may start
    one."""
    if not hasattr(incident, "postmortem_link"):  # read with the incident: no query here
        return {"may_start_postmortem": can_start_postmortem(request.user, [incident])}
    postmortem = postmortem_of_incident(incident=incident, user=request.user)
    return {"postmortem": postmortem, "may_start_postmortem": False}
