"""The integrations pages: how monitoring reaches the teams' services. The list never shows a
token; a new or rotated token is shown once, on the page the write leads to, and forgotten as
that page is read (a reload or the back button no longer shows it). "Send test alert" runs the
integration's own ingest path and links to the incident it opened."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from incidents.config_forms import IntegrationForm, RotateForm, errors_onto
from incidents.models import Integration, Service
from incidents.services.integrations import (
    integration_create,
    integration_delete,
    integration_rotate,
    integration_test_alert,
    integration_url,
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


def _token_key(integration_pk: int) -> str:
    return f"integration-token-{integration_pk}"


def _integrations():
    return Integration.objects.select_related("service", "service__team")


def _integration(request, pk: int) -> Integration:
    return visible_or_404(request, _integrations(), pk, team_path="service__team")


def _show_once(request, integration: Integration, token: str, *, rotated: bool):
    """Keep `token` for the next page alone, which shows it and forgets it."""
    request.session[_token_key(integration.pk)] = {"token": token, "rotated": rotated}
    return redirect("incidents:integration-token", pk=integration.pk)


@login_required
@require_GET
def integration_list(request):
    """List the viewer's teams' integrations (never their tokens), of one service if asked."""
    integrations = visible(request, _integrations(), team_path="service__team")
    service = None
    service_pk = request.GET.get("service", "")
    if service_pk.isdigit():
        service = visible_or_404(request, Service.objects.all(), int(service_pk))
        integrations = integrations.filter(service=service)
    context = {
        "integrations": integrations.order_by("service__name", "kind", "pk"),
        "service": service,
        "zone": viewer_zone(request),
        "now": clock.now(),
        "admin_teams": set(admin_team_ids(request)),
        "rotate_form": RotateForm(),
    }
    return render(request, "incidents/integrations_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def integration_new(request):
    """Create an integration of a service the viewer administers; its token is shown next."""
    services = Service.objects.filter(
        team__in=admin_team_ids(request), archived_at__isnull=True, rehearsal_of__isnull=True
    ).order_by("name")
    if not services.exists():
        return refused(request, "create an integration")
    initial = {"service": request.GET.get("service")}
    form = IntegrationForm(request.POST or None, services=services, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            integration, token = integration_create(**form.cleaned_data, now=clock.now())
        except ValidationError as error:
            errors_onto(form, error)
        else:
            return _show_once(request, integration, token, rotated=False)
    status = 400 if form.errors else 200
    return render(request, "incidents/integration_form.html", {"form": form}, status=status)


@never_cache
@login_required
@require_GET
def integration_token(request, pk: int):
    """Show a token just made or rotated, once: reading this page forgets it."""
    integration = _integration(request, pk)
    if not administers(request, integration.service.team_id):
        return refused(request, "see its integrations' tokens")
    shown = request.session.pop(_token_key(integration.pk), None)
    context = {"integration": integration}
    if shown is not None:
        context |= {
            "token": shown["token"],
            "rotated": shown["rotated"],
            "url": integration_url(integration, shown["token"]),
        }
    return render(request, "incidents/integration_token.html", context)


@login_required
@require_POST
def integration_rotate_web(request, pk: int):
    """Give an integration a new token; the old one works for the grace chosen."""
    integration = _integration(request, pk)
    if not administers(request, integration.service.team_id):
        return refused(request, "rotate its integrations' tokens")
    form = RotateForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Nothing was rotated. {' '.join(form.errors['grace_seconds'])}")
        return redirect("incidents:integration-list")
    grace = timedelta(seconds=form.cleaned_data["grace_seconds"])
    token = integration_rotate(integration=integration, now=clock.now(), grace=grace)
    return _show_once(request, integration, token, rotated=True)


@login_required
@require_POST
def integration_remove(request, pk: int):
    """Delete an integration: its tokens stop working."""
    integration = _integration(request, pk)
    if not administers(request, integration.service.team_id):
        return refused(request, "delete its integrations")
    integration_delete(integration=integration)
    messages.success(request, f"Deleted {_name(integration)}: its tokens no longer work.")
    return redirect("incidents:integration-list")


@login_required
@require_POST
def integration_test(request, pk: int):
    """Send a test alert through the integration's ingest path; link to its incident."""
    integration = _integration(request, pk)
    if not administers(request, integration.service.team_id):
        return refused(request, "send test alerts")
    try:
        result = integration_test_alert(integration=integration, now=clock.now())
    except ValidationError as error:
        messages.error(request, f"No test alert was sent. {' '.join(error.messages)}")
        return redirect("incidents:integration-list")
    context = {"integration": integration, "number": result.incident_number}
    return render(request, "incidents/integration_tested.html", context)


def _name(integration: Integration) -> str:
    return f"{integration.service.name} {integration.name or integration.get_kind_display()}"
