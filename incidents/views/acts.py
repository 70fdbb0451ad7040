"""The buttons and forms of an incident's page: each POST goes through incident_act, the one
service every entry point calls, with source=web, so the web acts exactly as a reply to a page.

A refusal (a viewer, someone of another team, an incident that does not exist) is a 403 page
that changes nothing; bad input re-renders the incident with a 400 naming the field; an act
that finds nothing to do says so and adds nothing.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from incidents import selectors
from incidents.access import ActionRefused, access_incident
from incidents.forms import NoteForm, PersonForm, SnoozeForm, form_errors
from incidents.models.choices import Action, Source
from incidents.services.acts import incident_act
from incidents.views.web import incident_page
from oncall import clock


def _form_for(action: Action, request, incident, person):
    """Return the bound form an action's arguments come from, or None when it takes none."""
    if action == Action.SNOOZE:
        return SnoozeForm(request.POST)
    if action == Action.REASSIGN:
        return PersonForm(request.POST, people=selectors.people_assignable(incident=incident))
    if action == Action.ADD_RESPONDER:
        people = selectors.people_askable(incident=incident, by=person)
        return PersonForm(request.POST, people=people)
    if action == Action.NOTE:
        return NoteForm(request.POST)
    return None


def _refused(request, refused: ActionRefused):
    return render(request, "incidents/act_refused.html", {"message": refused.message}, status=403)


def _bad_input(request, number: int, problem: str):
    messages.error(request, f"Nothing was changed. {problem}")
    return incident_page(request, number, status=400)


@login_required
@require_POST
def incident_act_web(request, number: int, action: str):
    """Do `action` to incident #number as the logged-in person, and show the incident again."""
    action = Action(action)
    person = getattr(request.user, "person", None)
    try:
        incident = access_incident(person=person, number=number)
        form = _form_for(action, request, incident, person)
        if form is not None and not form.is_valid():
            return _bad_input(request, number, form_errors(form))
        result = incident_act(
            incident=incident,
            action=action,
            by=person,
            source=Source.WEB,
            now=clock.now(),
            **(form.cleaned_data if form is not None else {}),
        )
    except ActionRefused as refused:
        return _refused(request, refused)
    except ValidationError as invalid:
        problem = " ".join(" ".join(errors) for errors in invalid.message_dict.values())
        return _bad_input(request, number, problem)
    if result.changed:
        messages.success(request, result.message)
    else:
        messages.warning(request, f"Nothing to do: {result.message}.")
    return redirect("incidents:incident-detail", number=number)
