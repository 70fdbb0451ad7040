"""The dashboard a team keeps open on a screen: who is on call now and next, the gaps, my own
next shift, the open incidents (refreshed every few seconds by htmx from a fragment), and a form
to declare an incident by hand."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from incidents import selectors
from incidents.big_events.selectors import event_checklist, events_soon
from incidents.forms import DeclareForm, form_errors
from incidents.models.choices import Source
from incidents.services.declare import incident_declare
from incidents.views.web import viewer_zone
from oncall import clock
from oncall.api.access import teams_with
from oncall.models import Schedule
from oncall.overview import oncall_overview

POLL_SECONDS = 3  # a new incident shows within 5 s of being opened


def _person(request):
    return getattr(request.user, "person", None)


def _page(request, form: DeclareForm | None = None, *, status: int = 200):
    person = _person(request)
    services = selectors.services_declarable(by=person)
    # The schedules of the viewer's teams (a superuser's: all), as /schedules/ lists them.
    teams = teams_with(request)
    schedules = Schedule.objects.filter(team__in=teams)
    now = clock.now()
    context = oncall_overview(person=person, now=now, schedules=schedules) | {
        # Each event under way or starting within a week, with its readiness checklist.
        "events": [
            (event, event_checklist(event=event, now=now))
            for event in events_soon(team_ids=teams, now=now)
        ],
        "zone": viewer_zone(request),
        "open_incidents": selectors.incidents_open(user=request.user),
        "rehearsals_open": selectors.rehearsals_open(user=request.user),
        "poll_seconds": POLL_SECONDS,
        "declare_form": form or DeclareForm(services=services, auto_id="declare-%s"),
    }
    return render(request, "dashboard.html", context, status=status)


@login_required
@require_GET
def dashboard(request):
    return _page(request)


@login_required
@require_GET
def dashboard_incidents(request):
    """Return the open incidents alone, for the dashboard to swap in."""
    context = {
        "zone": viewer_zone(request),
        "open_incidents": selectors.incidents_open(user=request.user),
        "rehearsals_open": selectors.rehearsals_open(user=request.user),
    }
    return render(request, "incidents/_open_incidents.html", context)


@login_required
@require_POST
def incident_declare_web(request):
    """Declare an incident on a service the person responds for; it pages like an alert."""
    person = _person(request)
    services = selectors.services_declarable(by=person)
    if not services.exists():
        refusal = "Only a responder or admin of a team declares incidents. Nothing was declared."
        return render(
            request,
            "incidents/act_refused.html",
            {"message": refusal, "heading": "You may not declare an incident"},
            status=403,
        )
    form = DeclareForm(request.POST, services=services, auto_id="declare-%s")
    if not form.is_valid():
        messages.error(request, f"Nothing was declared. {form_errors(form)}")
        return _page(request, form, status=400)
    details = form.cleaned_data["details"]
    try:
        incident = incident_declare(
            service=form.cleaned_data["service"],
            title=form.cleaned_data["title"],
            urgency=form.cleaned_data["urgency"] or None,
            details={"text": details} if details else None,
            now=clock.now(),
            by=person,
            source=Source.WEB,
        )
    except ValidationError as invalid:
        problem = " ".join(" ".join(errors) for errors in invalid.message_dict.values())
        messages.error(request, f"Nothing was declared. {problem}")
        return _page(request, form, status=400)
    messages.success(request, f"Declared #{incident.number}: its on-call is being paged.")
    return redirect("incidents:incident-detail", number=incident.number)
