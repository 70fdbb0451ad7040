"""The small forms of an incident's page (snooze, reassign, add a responder, add a note) and of
declaring one from the dashboard. Each names its field in its error, for a person to read."""

from __future__ import annotations

from django import forms

from incidents.models import Incident, Service
from incidents.models.choices import Urgency
from incidents.services.acts import NOTE_MAX
from incidents.services.incidents import SNOOZE_MINUTES
from oncall.models import Person, Team


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


class IncidentFilterForm(forms.Form):
    """The incident list's filters; every one is optional. Times are read in the viewer's zone
    (the view activates it)."""

    status = forms.ChoiceField(label="Status", required=False)
    service = forms.ModelChoiceField(
        label="Service", queryset=Service.objects.order_by("name"), required=False
    )
    team = forms.ModelChoiceField(
        label="Team", queryset=Team.objects.order_by("name"), required=False
    )
    urgency = forms.ChoiceField(
        label="Urgency", choices=[("", "Any"), *Urgency.choices], required=False
    )
    since = forms.DateTimeField(
        label="Since",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    until = forms.DateTimeField(
        label="Until",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", "Any"), *Incident.Status.choices]
        for name in ("service", "team"):
            self.fields[name].empty_label = "Any"
            self.fields[name].error_messages["invalid_choice"] = f"No such {name}."

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until <= since:
            self.add_error("until", "Until must be after Since.")
        return cleaned

    def filters(self) -> dict:
        """Return the filters given, for selectors.incidents_filtered."""
        return {name: value for name, value in self.cleaned_data.items() if value}
