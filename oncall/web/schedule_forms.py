"""The schedule page's forms; times typed in datetime-local inputs are the viewer's wall clock."""

from __future__ import annotations

from django import forms

from oncall.models import Person
from oncall.web.layout import LOCAL_INPUT


def _local_input(label: str) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        input_formats=[LOCAL_INPUT, "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT),
    )


class OverrideForm(forms.Form):
    """Someone covering the schedule from Start to End. The select lists the team's members;
    anyone else the viewer can see is named by the service ("X is not a member of the team")."""

    person = forms.ModelChoiceField(
        label="Person",
        queryset=Person.objects.none(),
        error_messages={"invalid_choice": "Choose one of the people listed."},
    )
    start = _local_input("Start")
    end = _local_input("End")
    reason = forms.CharField(label="Reason (optional)", required=False, max_length=200)

    def __init__(self, *args, members, visible, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("start", "end"):  # the hint naming the zone they are read in
            self.fields[name].widget.attrs["aria-describedby"] = f"override-{name}-zone"
        field = self.fields["person"]
        field.queryset = visible
        field.widget.choices = [("", "Choose a person")] + [
            (person.pk, person.display_name) for person in members
        ]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end <= start:
            self.add_error("end", "End must be after Start.")
        return cleaned
