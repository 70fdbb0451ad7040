"""The small forms of an incident's page (snooze, reassign, add a responder, add a note) and of
declaring one from the dashboard. Each names its field in its error, for a person to read."""

from __future__ import annotations

from django import forms

from incidents.models import Service
from incidents.models.choices import Urgency
from incidents.services.acts import NOTE_MAX
from incidents.services.incidents import SNOOZE_MINUTES
from oncall.models import Person


class SnoozeForm(forms.Form):
    minutes = forms.IntegerField(
        label="Minutes", min_value=SNOOZE_MINUTES[0], max_value=SNOOZE_MINUTES[1], initial=30
    )


class PersonForm(forms.Form):
    person = forms.ModelChoiceField(
        label="Person",
        queryset=Person.objects.none(),
        empty_label="Choose a person",
        error_messages={"invalid_choice": "Choose one of the people listed."},
    )

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people


class NoteForm(forms.Form):
    text = forms.CharField(
        label="Note", max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )


class DeclareForm(forms.Form):
    service = forms.ModelChoiceField(
        label="Service",
        queryset=Service.objects.none(),
        empty_label="Choose a service",
        error_messages={"invalid_choice": "Choose one of the services listed."},
    )
    title = forms.CharField(label="Title", max_length=200)
    urgency = forms.ChoiceField(
        label="Urgency", choices=[("", "As the service decides"), *Urgency.choices], required=False
    )
    details = forms.CharField(
        label="Details", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, services, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services


def form_errors(form: forms.Form) -> str:
    """Return a form's errors as one sentence naming each field: "Minutes: ..."."""
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else "Form"
        parts.append(f"{label}: {' '.join(errors)}")
    return " ".join(parts)
