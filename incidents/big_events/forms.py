"""The event form of /events/: what a person typed, its times read in their zone (the view
activates it while cleaning); event_create/event_update decide the rest."""

from __future__ import annotations

from django import forms

from incidents.config_forms import LOCAL_TIME
from incidents.models import Service
from incidents.services.service_admin import MAX_ACK_TIMEOUT_MINUTES
from oncall.models import Person, Schedule, Team


def _local(label: str) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        input_formats=[LOCAL_TIME, f"{LOCAL_TIME}:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_TIME),
    )


class EventForm(forms.Form):
    team = forms.ModelChoiceField(
        label="Team",
        queryset=Team.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": "Choose one of the teams listed."},
    )
    name = forms.CharField(label="Name", max_length=200)
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    starts_at = _local("Start")
    ends_at = _local("End")
    services = forms.ModelMultipleChoiceField(
        label="Services",
        queryset=Service.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Their incidents page the extra responders during the event.",
    )
    extra_people = forms.ModelMultipleChoiceField(
        label="Extra people",
        queryset=Person.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Paged with the first step of every incident during the event.",
    )
    extra_schedules = forms.ModelMultipleChoiceField(
        label="Extra schedules",
        queryset=Schedule.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Their on-call is paged with the first step too, e.g. a second primary.",
    )
    ack_timeout_minutes = forms.IntegerField(
        label="Trigger again if acknowledged but not resolved after (minutes)",
        min_value=1,
        max_value=MAX_ACK_TIMEOUT_MINUTES,
        required=False,
        help_text="During the event only, when shorter than the service's. Empty: the service's.",
    )

    def __init__(self, *args, teams, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
        self.fields["services"].queryset = Service.objects.filter(
            team__in=teams, archived_at__isnull=True
        ).order_by("name")
        self.fields["extra_people"].queryset = (
            Person.objects.filter(memberships__team__in=teams).distinct().order_by("display_name")
        )
        self.fields["extra_schedules"].queryset = Schedule.objects.filter(team__in=teams).order_by(
            "name"
        )
        if editing:
            del self.fields["team"]  # an event stays in its team

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("starts_at"), cleaned.get("ends_at")
        if start and end and end <= start:
            self.add_error("ends_at", "The event must end after it starts.")
        return cleaned
