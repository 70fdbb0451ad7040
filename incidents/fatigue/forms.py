"""The fatigue page's form: which team, and which days (UTC, both included)."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.core.exceptions import ValidationError

from incidents.fatigue.asked import DEFAULT_DAYS, Period, period_asked
from oncall.models import Team


class FatigueForm(forms.Form):
    team = forms.ModelChoiceField(
        label="Team",
        queryset=Team.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": "Choose one of the teams listed."},
    )
    since = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, query, *, team_ids, today: date):
        # What is not asked is the default, shown in the form: the reader's first team, and the
        # 28 days up to today (UTC).
        teams = Team.objects.filter(pk__in=list(team_ids)).order_by("name", "pk")
        first = teams.first()
        defaults = {
            "team": first.pk if first else "",
            "since": today - timedelta(days=DEFAULT_DAYS - 1),
            "until": today,
        }
        super().__init__({**defaults, **{k: v for k, v in query.items() if v}})
        self.fields["team"].queryset = teams
        self.today = today

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            cleaned["period"] = period_asked(
                cleaned.get("since"), cleaned.get("until"), today=self.today
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                self.add_error(field, messages)
        return cleaned

    @property
    def period(self) -> Period:
        return self.cleaned_data["period"]
