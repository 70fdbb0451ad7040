"""The fair rota pages of a schedule (team admins): ask for a proposal, watch it being solved
(the page polls while a worker solves it), read its fairness report, and apply it."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from incidents.models import RotaProposal
from incidents.proposals.options import MAX_WEEKS, OptionsError
from incidents.proposals.report import shift_lines
from incidents.proposals.results import CLASSES
from incidents.proposals.services import rota_proposal_apply, rota_proposal_create
from incidents.views.team_admin import administers, refused, visible_or_404
from oncall import clock
from oncall.models import Schedule
from oncall.rota.fair import Rules

POLL_SECONDS = 2
LATE = timedelta(minutes=2)
RECENT = 10


class ProposalForm(forms.Form):
    weeks = forms.IntegerField(label="Weeks", min_value=1, max_value=MAX_WEEKS, initial=4)
    start = forms.DateField(
        label="Start",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="A Monday is usual; empty: the next Monday. Midnight in the schedule's zone.",
    )
    time_limit_seconds = forms.IntegerField(
        label="Time limit (seconds)",
        min_value=1,
        max_value=120,
        initial=int(Rules.time_limit_seconds),
        help_text="How long the solver may search; it answers with the best rota found by then.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def rota_propose(request, schedule_id: int):
    """Show the form and the schedule's recent proposals; on POST, ask for a new one."""
    schedule = _schedule(request, schedule_id)
    if not administers(request, schedule.team_id):
        return refused(request, "propose a fair rota")
    form = ProposalForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        raw = {k: v for k, v in form.cleaned_data.items() if v is not None}
        try:
            proposal = rota_proposal_create(
                schedule=schedule, raw_options=raw, now=clock.now(), created_by=request.user
            )
        except OptionsError as error:
            for name, errors in error.errors.items():
                form.add_error(name if name in form.fields else None, errors)
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            return redirect(_url(proposal))
    context = {
        "schedule": schedule,
        "form": form,
        "recent": RotaProposal.objects.filter(schedule=schedule)[:RECENT],
        "zone": ZoneInfo(schedule.time_zone),
    }
    status = 400 if form.errors else 200
    return render(request, "incidents/rota_propose.html", context, status=status)


@login_required
@require_GET
def rota_proposal(request, schedule_id: int, proposal_id: int):
    """Show one proposal: solving (the result part polls), its report, or why it failed."""
    schedule = _schedule(request, schedule_id)
    if not administers(request, schedule.team_id):
        return refused(request, "read the schedule's rota proposals")
    proposal = get_object_or_404(RotaProposal, pk=proposal_id, schedule=schedule)
    context = _result_context(proposal, schedule)
    if request.headers.get("HX-Request"):
        return render(request, "incidents/_rota_result.html", context)
    return render(request, "incidents/rota_proposal.html", context)


@login_required
@require_POST
def rota_proposal_apply_web(request, schedule_id: int, proposal_id: int):
    """Apply the proposal as overrides, then show the schedule."""
    schedule = _schedule(request, schedule_id)
    if not administers(request, schedule.team_id):
        return refused(request, "apply a rota proposal")
    proposal = get_object_or_404(RotaProposal, pk=proposal_id, schedule=schedule)
    try:
        made = rota_proposal_apply(proposal=proposal, now=clock.now(), applied_by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(_url(proposal))
    if made:
        messages.success(
            request, f"Proposal applied: {len(made)} override{'s' * (len(made) != 1)} created."
        )
    else:
        messages.success(request, "Proposal applied: the schedule already said this.")
    return redirect(reverse("oncall:schedule-detail", args=[schedule.pk]))


def _schedule(request, schedule_id: int) -> Schedule:
    return visible_or_404(request, Schedule.objects.select_related("team"), schedule_id)


def _url(proposal: RotaProposal) -> str:
    return reverse("incidents:rota-proposal", args=[proposal.schedule_id, proposal.pk])


def _result_context(proposal: RotaProposal, schedule: Schedule) -> dict:
    zone = ZoneInfo(schedule.time_zone)
    limit = proposal.options.get("time_limit_seconds", Rules.time_limit_seconds)
    context = {
        "schedule": schedule,
        "proposal": proposal,
        "zone": zone,
        "poll_seconds": POLL_SECONDS,
        "classes": CLASSES,
        # Well past its time limit and still solving: no worker has taken it (yet).
        "late": proposal.status == RotaProposal.Status.SOLVING
        and clock.now() - proposal.created_at > timedelta(seconds=limit) + LATE,
    }
    result = proposal.result
    if result:
        context |= {
            "solver": result["solver"],
            "people": [_person_row(p) for p in result["people"]],
            "mean": [result["mean"][c] for c in CLASSES],
            "spread": [(result["spread"][c], result["baseline_spread"][c]) for c in CLASSES],
            "uncovered": [
                {
                    **gap,
                    "start": datetime.fromisoformat(gap["start"]),
                    "end": datetime.fromisoformat(gap["end"]),
                }
                for gap in result["uncovered"]
            ],
            "rules_held": result["rules_held"],
            "days": shift_lines(result["shifts"], zone),
            "gap_percent": result["solver"]["gap"] * 100,
        }
    return context


def _person_row(person: dict) -> dict:
    return {
        "name": person["name"],
        "cells": [(person["proposed"][c], person["baseline"][c]) for c in CLASSES],
        "past_night": person["past"]["night"],
        "past_pages": person["past_pages"],
        "shifts": person["shifts"],
    }
