"""The events pages: the teams' big events, one event with its readiness checklist and test
pages, and (for team admins) the forms that create, change and delete one. Each write parses a
form, calls one service of incidents/big_events/services.py, and redirects with a message."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from incidents.big_events.forms import EventForm
from incidents.big_events.selectors import event_checklist, events_of_teams
from incidents.big_events.services import (
    EVENT_FIELDS,
    event_create,
    event_delete,
    event_update,
    test_pages_send,
)
from incidents.config_forms import errors_onto
from incidents.models import Event
from incidents.models.choices import Source
from incidents.views.team_admin import admin_team_ids, administers, refused, visible_or_404
from incidents.views.web import viewer_zone
from oncall import clock
from oncall.api.access import VIEWER, teams_with
from oncall.models import Team

PAST_SHOWN = 20


def _events():
    return Event.objects.select_related("team").prefetch_related(
        "services", "extra_people", "extra_schedules"
    )


@login_required
@require_GET
def event_list(request):
    """List the viewer's teams' events: under way and upcoming first, then the recent past."""
    now = clock.now()
    events = events_of_teams(teams_with(request, VIEWER))
    context = {
        "upcoming": events.filter(ends_at__gt=now),
        "past": events.filter(ends_at__lte=now).order_by("-starts_at")[:PAST_SHOWN],
        "may_create": bool(admin_team_ids(request)),
        "zone": viewer_zone(request),
        "now": now,
    }
    return render(request, "incidents/events_list.html", context)


def _form_page(request, form, *, heading, button, event=None):
    context = {"form": form, "heading": heading, "button": button, "event": event}
    return render(request, "incidents/event_form.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def event_new(request):
    """Put an event on the calendar of a team the viewer administers."""
    teams = Team.objects.filter(pk__in=admin_team_ids(request)).order_by("name")
    if not teams.exists():
        return refused(request, "add events")
    zone = viewer_zone(request)
    with timezone.override(zone):
        start = timezone.localtime(clock.now()).replace(minute=0, second=0, microsecond=0)
        initial = {
            "starts_at": start + timedelta(days=1),
            "ends_at": start + timedelta(days=1, hours=3),
        }
        form = EventForm(request.POST or None, teams=teams, initial=initial)
        valid = request.method == "POST" and form.is_valid()
    if valid:
        try:
            event = event_create(**form.cleaned_data, now=clock.now(), by=request.user)
        except ValidationError as error:
            errors_onto(form, error)
        else:
            messages.success(request, f"Added the event {event.name}.")
            return redirect("incidents:event-detail", pk=event.pk)
    return _form_page(request, form, heading="New event", button="Create event")


@login_required
@require_GET
def event_detail(request, pk: int):
    """Show an event: its window, what it changes, its checklist and its test pages."""
    event = visible_or_404(request, _events(), pk)
    now = clock.now()
    context = {
        "event": event,
        "checklist": event_checklist(event=event, now=now),
        "may_admin": administers(request, event.team_id),
        "zone": viewer_zone(request),
        "now": now,
        "under_way": event.starts_at <= now < event.ends_at,
    }
    return render(request, "incidents/event_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def event_edit(request, pk: int):
    """Change an event (it stays in its team)."""
    event = visible_or_404(request, _events(), pk)
    if not administers(request, event.team_id):
        return refused(request, "change its events")
    teams = Team.objects.filter(pk=event.team_id)
    initial = {name: getattr(event, name) for name in EVENT_FIELDS}
    for name in ("services", "extra_people", "extra_schedules"):
        initial[name] = list(initial[name].all())
    with timezone.override(viewer_zone(request)):
        form = EventForm(request.POST or None, teams=teams, editing=True, initial=initial)
        valid = request.method == "POST" and form.is_valid()
    if valid:
        try:
            changed = event_update(event=event, changes=form.cleaned_data)
        except ValidationError as error:
            errors_onto(form, error)
        else:
            messages.success(request, f"Saved the event {changed.name}.")
            return redirect("incidents:event-detail", pk=changed.pk)
    return _form_page(request, form, heading=f"Edit {event.name}", button="Save event", event=event)


@login_required
@require_POST
def event_remove(request, pk: int):
    """Take an event off the calendar."""
    event = visible_or_404(request, Event.objects.all(), pk)
    if not administers(request, event.team_id):
        return refused(request, "delete its events")
    event_delete(event=event)
    messages.success(request, f"Deleted the event {event.name}.")
    return redirect("incidents:event-list")


@login_required
@require_POST
def event_test_pages(request, pk: int):
    """Send everyone on call during the event a test page."""
    event = visible_or_404(request, _events(), pk)
    if not administers(request, event.team_id):
        return refused(request, "send test pages")
    try:
        sent = test_pages_send(event=event, by=request.user, now=clock.now(), source=Source.WEB)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        names = ", ".join(t.person.display_name for t in sent.sent) or "nobody"
        messages.success(request, f"Sent a test page to {names}.")
        if sent.skipped:
            messages.warning(
                request,
                "No verified contact method for high urgency, so no test page: "
                + ", ".join(sent.skipped)
                + ".",
            )
    return redirect("incidents:event-detail", pk=event.pk)
