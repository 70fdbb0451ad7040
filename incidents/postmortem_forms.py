"""The forms of the postmortem pages: starting one from incident numbers, the list's filters, the
editor's title and sections, a timeline entry, the reviewers asked, and an action item. Each
names its field in its errors; times are read in the viewer's zone (the view activates it)."""

from __future__ import annotations

import re

from django import forms

from incidents.models import ActionItem, Postmortem

NUMBERS = re.compile(r"[\s,;]+")
LOCAL_INPUT = "%Y-%m-%dT%H:%M:%S"
MAX_INCIDENTS = 50


class StartForm(forms.Form):
    incidents = forms.CharField(
        label="Incident numbers",
        max_length=500,
        help_text="One or more, e.g. 41, 42 or #41 #42; all of one team, none in a postmortem.",
    )
    title = forms.CharField(
        label="Title",
        max_length=300,
        required=False,
        help_text="Leave empty to use the first incident's title.",
    )

    def clean_incidents(self) -> list[int]:
        words = [word.lstrip("#") for word in NUMBERS.split(self.cleaned_data["incidents"])]
        words = [word for word in words if word]
        wrong = [word for word in words if not word.isdigit()]
        if wrong:
            raise forms.ValidationError(
                f"Incident numbers are whole numbers; this is not: {wrong[0]}."
            )
        numbers = list(dict.fromkeys(int(word) for word in words))
        if not numbers:
            raise forms.ValidationError("Give at least one incident number.")
        if len(numbers) > MAX_INCIDENTS:
            raise forms.ValidationError(f"A postmortem covers at most {MAX_INCIDENTS} incidents.")
        return numbers


class FilterForm(forms.Form):
    team = forms.TypedChoiceField(label="Team", required=False, coerce=int, empty_value=None)
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status"), *Postmortem.Status.choices]
    )

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", "All my teams"), *((t.pk, t.name) for t in teams)]


class EditorForm(forms.Form):
    """The title and every section, each a field named section-<id>, saved together."""

    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    title = forms.CharField(label="Title", max_length=300)

    def __init__(self, *args, sections, **kwargs):
        super().__init__(*args, **kwargs)
        self.section_fields = []
        for section in sections:
            name = f"section-{section.pk}"
            self.fields[name] = forms.CharField(
                label=section.heading,
                required=False,
                max_length=50_000,
                help_text=section.prompt,
                initial=section.body,
                widget=forms.Textarea(attrs={"rows": 5}),
            )
            self.section_fields.append(name)

    def sections(self) -> dict[int, str]:
        return {int(name.split("-", 1)[1]): self.cleaned_data[name] for name in self.section_fields}


class EntryForm(forms.Form):
    at = forms.DateTimeField(
        label="When",
        input_formats=[LOCAL_INPUT, "%Y-%m-%dT%H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "step": 1}, format=LOCAL_INPUT),
        help_text="In your time zone.",
    )
    text = forms.CharField(
        label="What happened", max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReviewForm(forms.Form):
    reviewers = forms.TypedMultipleChoiceField(
        label="Reviewers",
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Choose at least one reviewer.",
            "invalid_choice": "Choose reviewers among the team's members listed.",
        },
    )

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewers"].choices = [(p.pk, p.display_name) for p in members]


class ActionItemForm(forms.Form):
    """An action item; the owner is chosen among the team's members (choices given once, so
    that a page of many items costs no query per item)."""

    title = forms.CharField(label="Action", max_length=300)
    owner = forms.TypedChoiceField(label="Owner", required=False, coerce=int, empty_value=None)
    due_on = forms.DateField(
        label="Due on", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    url = forms.URLField(
        label="Link",
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text="The item in your tracker, if any.",
    )
    status = forms.ChoiceField(
        label="Status", choices=ActionItem.Status.choices, initial="open", required=False
    )

    def __init__(self, *args, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", "Nobody yet"), *owners]

    @classmethod
    def of_item(cls, item: ActionItem, *, owners, **kwargs) -> ActionItemForm:
        initial = {
            "title": item.title,
            "owner": item.owner_id,
            "due_on": item.due_on,
            "url": item.url,
            "status": item.status,
        }
        if item.owner_id and item.owner_id not in {pk for pk, _ in owners}:
            owners = [*owners, (item.owner_id, f"{item.owner.display_name} (left the team)")]
        return cls(initial=initial, owners=owners, **kwargs)
