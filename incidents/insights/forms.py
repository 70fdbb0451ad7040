"""The insights page's form: whose (team, service, person) and which days, in which zone."""

from __future__ import annotations

from datetime import datetime, time, timedelta, tzinfo

from django import forms
from django.core.exceptions import ValidationError

from incidents.insights.asked import DEFAULT_DAYS, zone_asked
from incidents.models import Service
from oncall.models import Person, Team


class InsightsForm(forms.Form):
    team = forms.ModelChoiceField(
        label="Team",
        queryset=Team.objects.none(),
        required=False,
        empty_label="All my teams",
        error_messages={"invalid_choice": "Choose one of the teams listed."},
    )
    service = forms.ModelChoiceField(
        label="Service",
        queryset=Service.objects.none(),
        required=False,
        empty_label="Every service",
        error_messages={"invalid_choice": "Choose one of the services listed."},
    )
    person = forms.ModelChoiceField(
        label="Person",
        queryset=Person.objects.none(),
        required=False,
        empty_label="Everyone",
        error_messages={"invalid_choice": "Choose one of the people listed."},
    )
    since = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    tz = forms.CharField(
        label="Time zone",
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"placeholder": "Europe/Lisbon"}),
    )

    def __init__(self, query, *, team_ids, reader: Person | None, today):
        # What is not asked is the default, shown in the form: the 30 days up to today, in the
        # reader's zone.
        defaults = {
            "since": today - timedelta(days=DEFAULT_DAYS - 1),
            "until": today,
            "tz": reader.time_zone if reader else "UTC",
        }
        super().__init__({**defaults, **query.dict()})
        self.reader = reader
        self.fields["team"].queryset = Team.objects.filter(pk__in=team_ids).order_by("name")
        self.fields["service"].queryset = Service.objects.filter(
            team_id__in=team_ids, rehearsal_of__isnull=True
        ).order_by("name")
        self.fields["person"].queryset = (
            Person.objects.filter(memberships__team_id__in=team_ids)
            .distinct()
            .order_by("display_name")
        )

    def clean_tz(self) -> tzinfo:
        try:
            return zone_asked(self.cleaned_data["tz"], person=self.reader)
        except ValidationError as error:
            raise ValidationError(error.message_dict["tz"]) from error

    def period(self) -> tuple[datetime | None, datetime | None]:
        """Return the instants the days chosen start and end at, in the zone chosen (local
        midnights; the To day is included)."""
        zone = self.cleaned_data["tz"]
        since, until = self.cleaned_data.get("since"), self.cleaned_data.get("until")

        def midnight(day):
            return datetime.combine(day, time(), tzinfo=zone)

        return (
            midnight(since) if since else None,
            midnight(until + timedelta(days=1)) if until else None,
        )
