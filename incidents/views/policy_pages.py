"""The escalation policy pages: the viewer's teams' policies with their steps and the services
using each, and (for team admins) the editor that saves a policy whole through
incidents/services/policy_admin.py, creates one, or deletes one no service uses. Another team's
policy is a 404; a role below admin reads it without controls and gets a 403 on POST."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from incidents.models import EscalationPolicy, Service
from incidents.policy_forms import KIND_CHOICES, PolicyForm, StepsEditor
from incidents.services.policy_admin import (
    escalation_policy_create,
    escalation_policy_delete,
    escalation_policy_update,
)
from incidents.views.team_admin import (
    admin_team_ids,
    administers,
    refused,
    visible,
    visible_or_404,
)
from oncall.models import Team


def _policies():
    return EscalationPolicy.objects.select_related("team").prefetch_related(
        "steps__targets__person",
        "steps__targets__schedule",
        "steps__targets__team",
        "services",
    )


def _whom(target) -> str:
    if target.kind == "person":
        return target.person.display_name
    if target.kind == "schedule":
        return f"{target.schedule.name}'s on-call"
    team = target.team.name if target.team else "the team"
    return f"everyone in {team}" if target.kind == "team_all" else f"one of {team} in turn"


def steps_in_words(policy: EscalationPolicy) -> list[str]:
    """Return each step as a line: "Step 1, at once: Primary's on-call", "Step 2, after 5 min:
    ...", then the repeats."""
    lines, wait = [], None
    steps = sorted(policy.steps.all(), key=lambda step: step.position)
    for number, step in enumerate(steps, 1):
        when = "at once" if wait is None else f"after {wait} min"
        whom = " and ".join(_whom(t) for t in step.targets.all()) or "nobody"
        lines.append(f"Step {number}, {when}: {whom}")
        wait = step.escalate_after_minutes
    if policy.repeat and steps:
        times = "once more" if policy.repeat == 1 else f"{policy.repeat} more times"
        lines.append(f"Then after {wait} min, all again, {times}")
    return lines


@login_required
@require_GET
def policy_list(request):
    """List the viewer's teams' escalation policies, their steps and the services using each."""
    policies = visible(request, _policies())
    admin_teams = Team.objects.filter(pk__in=admin_team_ids(request)).order_by("name")
    rows = [
        {
            "policy": policy,
            "steps": steps_in_words(policy),
            "services": sorted(s.name for s in policy.services.all()),
            "may_admin": administers(request, policy.team_id),
        }
        for policy in policies
    ]
    context = {"rows": rows, "admin_teams": admin_teams}
    return render(request, "incidents/policies_list.html", context)


def _editor_page(request, *, form, editor, policy=None, status=200):
    context = {
        "form": form,
        "editor": editor,
        "policy": policy,
        "kinds": KIND_CHOICES,
        "heading": f"Edit {policy.name}" if policy else "New escalation policy",
        "button": "Save policy" if policy else "Create policy",
    }
    return render(request, "incidents/policy_editor.html", context, status=status)


def _posted(request, editor, **teams) -> tuple[PolicyForm, list | None]:
    """Read the POST: a button that only changes the page is applied to `editor` and answered
    with the fields as typed, not yet checked; "Save policy" returns the checked form and the
    steps to save (None when the form or a step has errors)."""
    op = request.POST.get("op", "save")
    if op != "save":
        editor.apply(op)
        return PolicyForm(initial=request.POST.dict(), **teams), None
    form = PolicyForm(request.POST, **teams)
    valid = form.is_valid()
    specs = editor.specs()
    return form, specs if valid else None


@login_required
@require_http_methods(["GET", "POST"])
def policy_new(request):
    """Create an escalation policy in a team the viewer administers."""
    teams = Team.objects.filter(pk__in=admin_team_ids(request)).order_by("name")
    if not teams.exists():
        return refused(request, "create an escalation policy")
    chosen = request.POST.get("team") or request.GET.get("team")
    team = teams.filter(pk=chosen).first() if str(chosen or "").isdigit() else None
    team = team or teams.first()
    if request.method == "GET":
        form = PolicyForm(teams=teams, initial={"team": team.pk, "repeat": 0})
        return _editor_page(request, form=form, editor=StepsEditor.blank(team))
    editor = StepsEditor.of_post(team, request.POST)
    form, specs = _posted(request, editor, teams=teams)
    if specs is None:
        status = 400 if form.is_bound else 200
        return _editor_page(request, form=form, editor=editor, status=status)
    data = form.cleaned_data
    try:
        policy = escalation_policy_create(
            team=data["team"],
            name=data["name"],
            repeat=data["repeat"],
            description=data["description"],
            steps=specs,
        )
    except ValidationError as error:
        editor.errors_onto(form, error)
        return _editor_page(request, form=form, editor=editor, status=400)
    messages.success(request, f"Created the escalation policy {policy.name}.")
    return redirect("incidents:policy-detail", pk=policy.pk)


@login_required
@require_http_methods(["GET", "POST"])
def policy_detail(request, pk: int):
    """Show a policy; a team admin edits it here, saved whole or not at all."""
    policy = visible_or_404(request, _policies(), pk)
    may_admin = administers(request, policy.team_id)
    if request.method == "GET" and not may_admin:
        context = {
            "policy": policy,
            "steps": steps_in_words(policy),
            "services": sorted(s.name for s in policy.services.all()),
        }
        return render(request, "incidents/policy_detail.html", context)
    if not may_admin:
        return refused(request, "change its escalation policies")
    if request.method == "GET":
        initial = {"name": policy.name, "repeat": policy.repeat, "description": policy.description}
        form = PolicyForm(initial=initial)
        return _editor_page(request, form=form, editor=StepsEditor.of_policy(policy), policy=policy)
    editor = StepsEditor.of_post(policy.team, request.POST)
    form, specs = _posted(request, editor)
    if specs is None:
        status = 400 if form.is_bound else 200
        return _editor_page(request, form=form, editor=editor, policy=policy, status=status)
    try:
        changed = escalation_policy_update(
            policy=policy, changes={**form.cleaned_data, "steps": specs}
        )
    except ValidationError as error:
        editor.errors_onto(form, error)
        return _editor_page(request, form=form, editor=editor, policy=policy, status=400)
    messages.success(request, f"Saved the escalation policy {changed.name}.")
    return redirect("incidents:policy-detail", pk=changed.pk)


@login_required
@require_POST
def policy_remove(request, pk: int):
    """Delete a policy; refused, naming them, while services use it."""
    policy = visible_or_404(request, _policies(), pk)
    if not administers(request, policy.team_id):
        return refused(request, "delete its escalation policies")
    try:
        escalation_policy_delete(policy=policy)
    except ProtectedError as refusal:
        users = sorted(str(s) for s in refusal.protected_objects if isinstance(s, Service))
        messages.error(
            request,
            f"Nothing was deleted. The services {', '.join(users)} still use {policy.name}; "
            "give them another policy first.",
        )
        return redirect("incidents:policy-detail", pk=policy.pk)
    messages.success(request, f"Deleted the escalation policy {policy.name}.")
    return redirect("incidents:policy-list")
