"""The postmortem pages: /postmortems/ (the viewer's teams' postmortems, the resolved incidents
still owing one, starting one from incident numbers), starting one from an incident's page, and
the editor's title and sections, saved by its Save button or, a section at a time, by
static/js/autosave.js. Access is incidents/postmortem_access.py's; writes are the services'."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from incidents.access import incidents_visible
from incidents.postmortem_access import can_edit_postmortem, can_start_postmortem
from incidents.postmortem_forms import EditorForm, FilterForm, StartForm
from incidents.postmortem_selectors import incidents_needing_postmortem, postmortem_list
from incidents.services.postmortems import (
    PostmortemError,
    PostmortemReadOnly,
    StaleRevision,
    postmortem_start,
    postmortem_update,
)
from incidents.views.postmortem_editor import (
    editor_page,
    errors_onto,
    postmortem_or_404,
    refused,
)
from incidents.views.web import viewer_zone
from oncall import clock
from oncall.api.access import RESPONDER, VIEWER, teams_with
from oncall.models import Team
from oncall.web.layout import offset

STALE = "Someone else changed this postmortem: reload"
STALE_PAGE = (
    "Someone else changed this postmortem since you opened it, so nothing was saved. "
    "Your text is still below: copy what you need, then reload the page to see theirs."
)


def _list_page(request, *, start_form=None, status=200):
    """Render /postmortems/; a filter that is not valid shows nothing but its error (400)."""
    teams = Team.objects.filter(pk__in=teams_with(request, VIEWER)).order_by("name")
    filters = FilterForm(request.GET or None, teams=teams)
    valid = not filters.is_bound or filters.is_valid()
    chosen = filters.cleaned_data if filters.is_bound and valid else {}
    team = teams.filter(pk=chosen["team"]).first() if chosen.get("team") else None
    rows, needing = [], []
    if valid:
        rows = postmortem_list(user=request.user, team=team, status=chosen.get("status") or None)
        rows = rows.select_related("team").prefetch_related("incidents")
        needing = _startable(request, incidents_needing_postmortem(user=request.user, team=team))
    zone = viewer_zone(request)
    context = {
        "may_start": bool(teams_with(request, RESPONDER)),
        "zone": zone,
        "zone_offset": offset(clock.now().astimezone(zone)),
        "filters": filters,
        "postmortems": rows,
        "needing": needing,
        "start_form": start_form or StartForm(auto_id="start-%s"),
    }
    return render(
        request, "incidents/postmortems_list.html", context, status=400 if not valid else status
    )


def _startable(request, incidents) -> list[tuple]:
    """Pair each incident with whether the viewer may start its postmortem, asked once a team
    (a responder or admin of a team acts on all its incidents)."""
    by_team = {}
    for incident in incidents:
        team = incident.service.team_id
        if team not in by_team:
            by_team[team] = can_start_postmortem(request.user, [incident])
    return [(incident, by_team[incident.service.team_id]) for incident in incidents]


@login_required
@require_GET
def postmortems(request):
    """List the viewer's teams' postmortems, filtered by team and status, and the resolved
    critical incidents that still owe one."""
    return _list_page(request)


def _start_refused(form: StartForm, message: str) -> StartForm:
    form.add_error("incidents", message)
    return form


@login_required
@require_POST
def postmortem_begin(request):
    """Start a postmortem of the incident numbers posted, then land on its editor."""
    form = StartForm(request.POST, auto_id="start-%s")
    if not form.is_valid():
        return _list_page(request, start_form=form, status=400)
    numbers = form.cleaned_data["incidents"]
    found = incidents_visible(user=request.user).select_related("service").in_bulk(numbers)
    missing = [f"#{n}" for n in numbers if n not in found]
    if missing:
        message = f"No incident {', '.join(missing)} in your teams."
        return _list_page(request, start_form=_start_refused(form, message), status=400)
    incidents = [found[n] for n in numbers]
    if not can_start_postmortem(request.user, incidents):
        return refused(
            request,
            "Starting a postmortem needs the responder or admin role in the incidents' team. "
            "Nothing was changed.",
        )
    try:
        postmortem = postmortem_start(
            incidents=incidents,
            by=getattr(request.user, "person", None),
            now=clock.now(),
            title=form.cleaned_data["title"],
        )
    except (PostmortemError, ValidationError) as error:
        message = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        return _list_page(request, start_form=_start_refused(form, message), status=400)
    messages.success(request, "Postmortem started: its timeline is drafted from the record.")
    return redirect("incidents:postmortem-detail", pk=postmortem.pk)


def _save_refusal(request, postmortem):
    if not can_edit_postmortem(request.user, postmortem):
        return "Editing a postmortem needs the responder or admin role in its team."
    if postmortem.status == postmortem.Status.PUBLISHED:
        return "This postmortem is published: only its action items change now."
    return None


@login_required
@require_http_methods(["GET", "POST"])
def postmortem_detail(request, pk: int):
    """Show the editor; its Save button (no JavaScript needed) saves the title and sections."""
    postmortem = postmortem_or_404(request, pk)
    if request.method == "GET":
        return editor_page(request, postmortem)
    refusal = _save_refusal(request, postmortem)
    if refusal:
        return refused(request, f"{refusal} Nothing was changed.")
    form = EditorForm(request.POST, sections=postmortem.sections.all())
    if not form.is_valid():
        return editor_page(request, postmortem, status=400, bound={"editor": form})
    try:
        postmortem_update(
            postmortem=postmortem,
            by=getattr(request.user, "person", None),
            now=clock.now(),
            revision=form.cleaned_data["revision"],
            title=form.cleaned_data["title"],
            sections=form.sections(),
        )
    except StaleRevision:
        return editor_page(
            request, postmortem, status=409, problem=STALE_PAGE, bound={"editor": form}
        )
    except PostmortemError as error:
        problem = f"{error} Nothing was saved."
        return editor_page(request, postmortem, status=409, problem=problem, bound={"editor": form})
    except ValidationError as error:
        errors_onto(form, error)
        return editor_page(request, postmortem, status=400, bound={"editor": form})
    messages.success(request, "Saved.")
    return redirect("incidents:postmortem-detail", pk=postmortem.pk)


def _error(status: int, code: str, message: str, **more):
    return JsonResponse({"error": {"code": code, "message": message}, **more}, status=status)


def _autosave_changes(request, postmortem) -> tuple[dict, dict]:
    """Return the changes posted (revision, title, sections by id) and the field errors."""
    changes, errors = {}, {}
    revision = request.POST.get("revision", "")
    if revision.isdigit():
        changes["revision"] = int(revision)
    else:
        errors["revision"] = ["Send the revision the page was loaded at, a whole number."]
    if "title" in request.POST:
        changes["title"] = request.POST["title"]
    sections = {str(s.pk): s.pk for s in postmortem.sections.all()}
    for name, body in request.POST.items():
        if name.startswith("section-"):
            section = sections.get(name.removeprefix("section-"))
            if section is None:
                errors[name] = ["There is no such section in this postmortem."]
            changes.setdefault("sections", {})[section] = body
    return changes, errors


@login_required
@require_POST
def postmortem_autosave(request, pk: int):
    """Save what static/js/autosave.js posts (the changed sections or title, with the revision
    the page holds) and answer JSON: the new revision and the time in the viewer's zone; 409
    when someone else saved first, 400 naming a field, 403 for a viewer not allowed to edit."""
    postmortem = postmortem_or_404(request, pk)
    refusal = _save_refusal(request, postmortem)
    if refusal:
        code = "read_only" if postmortem.status == "published" else "forbidden"
        return _error(403 if code == "forbidden" else 409, code, f"{refusal} Nothing was saved.")
    changes, errors = _autosave_changes(request, postmortem)
    if errors:
        message = "Nothing was saved: " + " ".join(e[0] for e in errors.values())
        return JsonResponse(
            {"error": {"code": "invalid", "message": message, "fields": errors}}, status=400
        )
    try:
        saved = postmortem_update(
            postmortem=postmortem,
            by=getattr(request.user, "person", None),
            now=(now := clock.now()),
            **changes,
        )
    except StaleRevision as stale:
        return _error(409, "stale_revision", STALE, current=stale.current)
    except PostmortemReadOnly as error:
        return _error(409, "read_only", str(error))
    except ValidationError as error:
        fields = error.message_dict if hasattr(error, "error_dict") else {"": error.messages}
        message = "Nothing was saved: " + " ".join(m[0] for m in fields.values())
        return JsonResponse(
            {"error": {"code": "invalid", "message": message, "fields": fields}}, status=400
        )
    local = now.astimezone(viewer_zone(request))
    return JsonResponse(
        {
            "revision": saved.revision,
            "saved_at": local.isoformat(),
            "message": f"Saved at {local:%H:%M}",
        }
    )
