"""The forms of the configuration pages (services, maintenance windows, integrations). Each
parses what a person typed; the service it feeds decides the rest, and its ValidationError is
put back on the fields it names (`errors_onto`)."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError

from incidents.models import EscalationPolicy, Integration, Service
from incidents.services.integrations import (
    HEARTBEAT_MAX_INTERVAL_SECONDS,
    HEARTBEAT_MIN_INTERVAL_SECONDS,
    ROTATE_GRACE_DEFAULT,
)
from incidents.services.service_admin import MAX_ACK_TIMEOUT_MINUTES, MAX_AUTO_RESOLVE_MINUTES
from oncall.models import Team

LOCAL_TIME = "%Y-%m-%dT%H:%M"
GRACES = [
    (0, "None: the old token stops now"),
    (3600, "1 hour"),
    (int(ROTATE_GRACE_DEFAULT.total_seconds()), "1 day"),
    (int(timedelta(days=7).total_seconds()), "7 days"),
]


def errors_onto(form: forms.Form, error: ValidationError) -> None:
    """Show a service's `error` on the form's fields it names, the rest above the form."""
    problems = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
    for field, messages in problems.items():
        field = field if field in form.fields else None
        for message in messages:
            form.add_error(field, message)


class ServiceForm(forms.Form):
    name = forms.SlugField(
        label="Name",
        max_length=100,
        help_text="Lower case letters, digits and dashes, such as playback.",
    )
    team = forms.ModelChoiceField(
        label="Team",
        queryset=Team.objects.none(),
        empty_label="Choose a team",
        error_messages={"invalid_choice": "Choose one of the teams listed."},
    )
    description = forms.CharField(label="Description", max_length=200, required=False)
    escalation_policy = forms.ModelChoiceField(
        label="Escalation policy",
        queryset=EscalationPolicy.objects.none(),
        required=False,
        empty_label="None: nobody is paged",
        error_messages={"invalid_choice": "Choose one of the policies listed."},
    )
    urgency_rule = forms.ChoiceField(
        label="Urgency", choices=Service.UrgencyRule.choices, initial=Service.UrgencyRule.SEVERITY
    )
    ack_timeout_minutes = forms.IntegerField(
        label="Trigger again if acknowledged but not resolved after (minutes)",
        min_value=1,
        max_value=MAX_ACK_TIMEOUT_MINUTES,
        required=False,
        help_text="Empty: never.",
    )
    auto_resolve_minutes = forms.IntegerField(
        label="Resolve by itself after (minutes)",
        min_value=1,
        max_value=MAX_AUTO_RESOLVE_MINUTES,
        required=False,
        help_text="Empty: never.",
    )
    slack_channel = forms.CharField(
        label="Slack channel id",
        max_length=32,
        required=False,
        help_text="Such as C0123ABCD; each incident is posted there.",
    )

    def __init__(self, *args, teams, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
        self.fields["escalation_policy"].queryset = EscalationPolicy.objects.filter(
            team__in=teams
        ).select_related("team")
        self.fields["escalation_policy"].label_from_instance = lambda policy: (
            f"{policy.name} ({policy.team.name})"
        )
        if editing:  # a service stays in its team
            del self.fields["team"]


class MaintenanceWindowForm(forms.Form):
    """Start and end are read in the viewer's zone: the view activates it while cleaning."""

    start = forms.DateTimeField(
        label="Start",
        input_formats=[LOCAL_TIME, f"{LOCAL_TIME}:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_TIME),
    )
    end = forms.DateTimeField(
        label="End",
        input_formats=[LOCAL_TIME, f"{LOCAL_TIME}:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_TIME),
    )
    reason = forms.CharField(label="Reason", max_length=200, required=False)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end <= start:
            self.add_error("end", "End after the start.")
        return cleaned


class IntegrationForm(forms.Form):
    service = forms.ModelChoiceField(
        label="Service",
        queryset=Service.objects.none(),
        empty_label="Choose a service",
        error_messages={"invalid_choice": "Choose one of the services listed."},
    )
    kind = forms.ChoiceField(label="Kind", choices=Integration.Kind.choices)
    name = forms.CharField(label="Name", max_length=100, required=False)
    heartbeat_interval_seconds = forms.IntegerField(
        label="Heartbeat interval (seconds)",
        min_value=HEARTBEAT_MIN_INTERVAL_SECONDS,
        max_value=HEARTBEAT_MAX_INTERVAL_SECONDS,
        required=False,
        help_text="Heartbeats only: an incident opens when no ping comes this long (300).",
    )

    def __init__(self, *args, services, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services


class RotateForm(forms.Form):
    grace_seconds = forms.TypedChoiceField(
        label="The old token keeps working for",
        choices=GRACES,
        coerce=int,
        initial=int(ROTATE_GRACE_DEFAULT.total_seconds()),
    )
