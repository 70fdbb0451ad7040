"""The layer editor's forms: the layer's own fields, and one form per restriction row. The
handoff is typed on the viewer's wall clock; the members, in turn order, are kept by the page
(oncall/web/layer_pages.py) as a list of person ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django import forms

from oncall.models import Layer, LayerRestriction
from oncall.services import RestrictionSpec
from oncall.web.forms import time_zones
from oncall.web.layout import LOCAL_INPUT

WEEKDAYS = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]
DAY, WEEK = timedelta(days=1), timedelta(days=7)
MONDAY = datetime(2001, 1, 1, tzinfo=UTC)  # any Monday: weekdays are counted from it


class LayerForm(forms.Form):
    name = forms.CharField(label="Name", max_length=100)
    turn_count = forms.IntegerField(
        label="Turn length",
        min_value=1,
        max_value=1000,
        error_messages={"min_value": "A turn lasts at least one hour, day or week."},
    )
    turn_unit = forms.ChoiceField(label="Unit", choices=Layer.TurnUnit.choices)
    handoff = forms.DateTimeField(
        label="Handoff",
        input_formats=[LOCAL_INPUT, "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local", "aria-describedby": "layer-handoff-zone"},
            format=LOCAL_INPUT,
        ),
        help_text="When the first member's turn begins; the turns follow on from it.",
    )
    time_zone = forms.CharField(
        label="Layer's time zone",
        max_length=64,
        help_text="Turns and restrictions are counted on this zone's clock.",
        widget=forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off"}),
    )

    def clean_time_zone(self) -> str:
        name = self.cleaned_data["time_zone"].strip()
        if name not in time_zones():
            raise forms.ValidationError(
                f"{name or 'That'} is not a time zone: type a name like Europe/Lisbon."
            )
        return name


def _offset(weekday: int, at) -> timedelta:
    return timedelta(days=weekday, hours=at.hour, minutes=at.minute)


class RestrictionForm(forms.Form):
    """A window, on the layer's clock, when the layer is active: daily (start and end times)
    or weekly (a start and end weekday too)."""

    kind = forms.ChoiceField(label="Repeats", choices=LayerRestriction.Kind.choices)
    start_weekday = forms.TypedChoiceField(
        label="From day", choices=WEEKDAYS, coerce=int, required=False
    )
    start_time = forms.TimeField(
        label="From", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    end_weekday = forms.TypedChoiceField(
        label="To day", choices=WEEKDAYS, coerce=int, required=False
    )
    end_time = forms.TimeField(
        label="To", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )

    FIELDS = ("kind", "start_weekday", "start_time", "end_weekday", "end_time")

    def spec(self) -> RestrictionSpec:
        """Return the valid row as the service takes it: its start and its length, zero when
        it ends where it starts (the service refuses that, naming the row)."""
        data = self.cleaned_data
        weekly = data["kind"] == LayerRestriction.Kind.WEEKLY
        start_day = (data.get("start_weekday") or 0) if weekly else 0
        end_day = (data.get("end_weekday") or 0) if weekly else 0
        start = _offset(start_day, data["start_time"])
        end = _offset(end_day, data["end_time"])
        return RestrictionSpec(
            kind=data["kind"],
            start_time=data["start_time"],
            duration=(end - start) % (WEEK if weekly else DAY),
            start_weekday=start_day,
        )


def restriction_row(restriction) -> dict[str, str]:
    """Return a stored restriction as the raw values of a row of the form."""
    weekly = restriction.kind == LayerRestriction.Kind.WEEKLY
    start_day = restriction.start_weekday if weekly else 0
    end = MONDAY + _offset(start_day, restriction.start_time) + restriction.duration
    return {
        "kind": restriction.kind,
        "start_weekday": str(start_day),
        "start_time": f"{restriction.start_time:%H:%M}",
        "end_weekday": str(end.weekday()),
        "end_time": f"{end:%H:%M}",
    }
