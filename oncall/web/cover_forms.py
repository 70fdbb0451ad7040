"""The cover request form; times typed are the viewer's wall clock, read in their zone."""

from __future__ import annotations

from django import forms

from oncall.models import Person
from oncall.web.schedule_forms import _local_input


class CoverRequestForm(forms.Form):
    """Cover me from Start to End; optionally, a trade: I cover a teammate's shift in return."""

    start = _local_input("Start")
    end = _local_input("End")
    note = forms.CharField(label="Note (optional)", required=False, max_length=300)
    trade_with = forms.ModelChoiceField(
        label="Trade with (optional)",
        required=False,
        queryset=Person.objects.none(),
        error_messages={"invalid_choice": "Choose one of the people listed."},
    )
    trade_start = _local_input("Their shift starts")
    trade_end = _local_input("Their shift ends")

    def __init__(self, *args, teammates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["trade_start"].required = False
        self.fields["trade_end"].required = False
        field = self.fields["trade_with"]
        field.queryset = teammates
        field.empty_label = "No trade: anyone may take it"
        field.help_text = "Offer to cover one of their shifts in return; only they can take it."

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end <= start:
            self.add_error("end", "End must be after Start.")
        return cleaned
