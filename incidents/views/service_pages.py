"""The services pages: the teams' services, one service with its integrations, maintenance
windows and recent incidents, and (for team admins) the forms that create, change and delete
them. Each write parses a form, calls one service of incidents/services/service_admin.py, and
redirects with a message, or shows the form again with its errors in place."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from incidents.config_forms import MaintenanceWindowForm, ServiceForm, errors_onto
from incidents.models import Incident, MaintenanceWindow, Service
from incidents.services.service_admin import (
    SERVICE_FIELDS,
    ServiceConflict,
    maintenance_window_create,
    maintenance_window_delete,
    maintenance_window_update,
    service_create,
    service_delete,
    service_update,
)
from incidents.views.team_admin import (
    admin_team_ids,
    administers,
    refused,
    visible,
    visible_or_404,
)
from incidents.views.web import viewer_zone
from oncall import clock
from oncall.models import Team

RECENT_INCIDENTS = 10
PAST_WINDOWS = 5


def _services():
    return Service.objects.select_related("team", "escalation_policy")


@login_required
@require_GET
def service_list(request):
    """List the viewer's teams' services with their policy, urgency, channel and open incidents."""
    # A rehearsal twin is the rehearsals' business, not a service the team runs.
    services = visible(
        request, _services().filter(archived_at__isnull=True, rehearsal_of__isnull=True)
    ).annotate(open_incidents=Count("incidents", filter=Q(incidents__status__in=Incident.OPEN)))
    context = {"services": services, "may_create": bool(admin_team_ids(request))}
    return render(request, "incidents/services_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def service_new(request):
    """Create a service in a team the viewer administers."""
    teams = Team.objects.filter(pk__in=admin_team_ids(request)).order_by("name")
    if not teams.exists():
        return refused(request, "create a service")
    form = ServiceForm(request.POST or None, teams=teams)
    if request.method == "POST" and form.is_valid():
        try:
            service = service_create(**form.cleaned_data)
        except ValidationError as error:
            errors_onto(form, error)
        else:
            messages.success(request, f"Created the service {service.name}.")
            return redirect("incidents:service-detail", pk=service.pk)
    context = {"form": form, "heading": "New service", "button": "Create service"}
    return render(
        request, "incidents/service_form.html", context, status=400 if form.errors else 200
    )


def _detail(request, service: Service, *, window_form=None, status: int = 200):
    now = clock.now()
    zone = viewer_zone(request)
    windows = service.maintenance.select_related("created_by")
    if window_form is None:
        with timezone.override(zone):
            start = now.replace(second=0, microsecond=0) + timedelta(minutes=5)
            window_form = MaintenanceWindowForm(
                initial={
                    "start": timezone.localtime(start),
                    "end": timezone.localtime(start + timedelta(hours=1)),
                }
            )
    context = {
        "service": service,
        "zone": zone,
        "now": now,
        "may_admin": administers(request, service.team_id) and service.archived_at is None,
        "integrations": service.integrations.all(),
        "windows": windows.filter(end__gt=now),
        "past_windows": windows.filter(end__lte=now).order_by("-end")[:PAST_WINDOWS],
        "incidents": service.incidents.order_by("-created_at")[:RECENT_INCIDENTS],
        "window_form": window_form,
    }
    return render(request, "incidents/service_detail.html", context, status=status)


@login_required
@require_GET
def service_detail(request, pk: int):
    """Show a service, its integrations, maintenance windows and recent incidents."""
    return _detail(request, visible_or_404(request, _services(), pk))


@login_required
@require_http_methods(["GET", "POST"])
def service_edit(request, pk: int):
    """Change a service's settings (it stays in its team)."""
    service = visible_or_404(request, _services(), pk)
    if not administers(request, service.team_id):
        return refused(request, "change its services")
    teams = Team.objects.filter(pk=service.team_id)
    initial = {field: getattr(service, field) for field in SERVICE_FIELDS}
    form = ServiceForm(request.POST or None, teams=teams, editing=True, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            changed = service_update(service=service, changes=form.cleaned_data)
        except ValidationError as error:
            errors_onto(form, error)
        except ServiceConflict as conflict:
            form.add_error(None, conflict.message)
            status = 409
        else:
            messages.success(request, f"Saved the service {changed.name}.")
            return redirect("incidents:service-detail", pk=changed.pk)
    if form.errors and status == 200:
        status = 400
    context = {
        "form": form,
        "service": service,
        "heading": f"Edit {service.name}",
        "button": "Save service",
    }
    return render(request, "incidents/service_form.html", context, status=status)


@login_required
@require_POST
def service_remove(request, pk: int):
    """Delete a service, or archive it if incidents name it."""
    service = visible_or_404(request, _services(), pk)
    if not administers(request, service.team_id):
        return refused(request, "delete its services")
    try:
        deleted = service_delete(service=service, now=clock.now())
    except ServiceConflict as conflict:
        messages.error(request, f"Nothing was deleted. {conflict.message}")
        return redirect("incidents:service-detail", pk=service.pk)
    if deleted:
        messages.success(request, f"Deleted the service {service.name}.")
    else:
        messages.success(
            request,
            f"Archived the service {service.name}: its incidents keep it, its integrations "
            "are deleted and it takes no new alerts.",
        )
    return redirect("incidents:service-list")


@login_required
@require_POST
def window_create(request, pk: int):
    """Open a maintenance window on a service, its times read in the viewer's zone."""
    service = visible_or_404(request, _services(), pk)
    if not administers(request, service.team_id):
        return refused(request, "add maintenance windows")
    with timezone.override(viewer_zone(request)):
        form = MaintenanceWindowForm(request.POST)
        valid = form.is_valid()
    if valid:
        try:
            maintenance_window_create(service=service, **form.cleaned_data, by=request.user)
        except ValidationError as error:
            errors_onto(form, error)
        else:
            messages.success(request, f"Added a maintenance window to {service.name}.")
            return redirect("incidents:service-detail", pk=service.pk)
    return _detail(request, service, window_form=form, status=400)


def _window(request, pk: int, window_pk: int) -> MaintenanceWindow:
    windows = MaintenanceWindow.objects.filter(service_id=pk).select_related("service")
    return visible_or_404(request, windows, window_pk, team_path="service__team")


@login_required
@require_POST
def window_end(request, pk: int, window_pk: int):
    """End a running maintenance window now: what it held is paged for at once."""
    window = _window(request, pk, window_pk)
    if not administers(request, window.service.team_id):
        return refused(request, "end maintenance windows")
    now = clock.now()
    if window.start >= now:
        messages.error(request, "This window has not started; delete it instead.")
    elif window.end <= now:
        messages.error(request, "This window has ended already.")
    else:
        maintenance_window_update(window=window, changes={"end": now}, now=now)
        messages.success(request, f"Ended the maintenance window of {window.service.name}.")
    return redirect("incidents:service-detail", pk=pk)


@login_required
@require_POST
def window_remove(request, pk: int, window_pk: int):
    """Delete a maintenance window: what it held is paged for at once."""
    window = _window(request, pk, window_pk)
    if not administers(request, window.service.team_id):
        return refused(request, "delete maintenance windows")
    maintenance_window_delete(window=window, now=clock.now())
    messages.success(request, f"Deleted the maintenance window of {window.service.name}.")
    return redirect("incidents:service-detail", pk=pk)
