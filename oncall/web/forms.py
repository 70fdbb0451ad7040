"""The forms of the person's own profile. Each parses what a person typed; the services check
the rest, and their refusals are put back on the fields they name (see absorb)."""

from __future__ import annotations

import functools
import zoneinfo

from django import forms
from django.core.exceptions import ValidationError

from oncall import calendars
from oncall.models import ApiToken, ContactMethod, NotificationRule
from oncall.web.layout import LOCAL_INPUT

TOKEN_DAYS = (1, 3650)


@functools.cache
def time_zones() -> list[str]:
    """Return every IANA zone name, sorted, for the time zone field's suggestions."""
    return sorted(zoneinfo.available_timezones())


class ProfileForm(forms.Form):
    display_name = forms.CharField(label="Name", max_length=150)
    time_zone = forms.CharField(
        label="Time zone",
        max_length=64,
        help_text="Type to search, for example Lisbon or America/Sao_Paulo.",
        widget=forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off"}),
    )
    locale = forms.CharField(
        label="Locale", max_length=16, help_text="A language tag, such as en or pt-BR."
    )


class ContactMethodForm(forms.Form):
    kind = forms.ChoiceField(label="Kind", choices=ContactMethod.Kind.choices)
    address = forms.CharField(
        label="Address",
        max_length=254,
        help_text="A phone number with its country code (+351912345678), an e-mail address, "
        "or a Slack member id (U012AB3CD).",
    )
    label = forms.CharField(label="Label", max_length=50, required=False)


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class NotificationRuleForm(forms.Form):
    urgency = forms.ChoiceField(label="Urgency", choices=NotificationRule.Urgency.choices)
    contact_method = forms.ModelChoiceField(
        label="Contact method",
        queryset=ContactMethod.objects.none(),
        empty_label="Choose a contact method",
        error_messages={"invalid_choice": "Choose one of your contact methods listed."},
    )
    delay_minutes = forms.IntegerField(
        label="After minutes", min_value=0, max_value=1440, initial=0
    )

    def __init__(self, *args, methods, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact_method"].queryset = methods
        self.fields["contact_method"].label_from_instance = method_name


def method_name(method: ContactMethod) -> str:
    name = f"{method.get_kind_display()} {method.address}"
    name = f"{name} ({method.label})" if method.label else name
    return name if method.is_verified else f"{name}, not verified"


class ApiTokenForm(forms.Form):
    name = forms.CharField(label="Token name", max_length=100)
    scope = forms.ChoiceField(label="Scope", choices=ApiToken.Scope.choices)
    expires_in_days = forms.IntegerField(
        label="Expires after days",
        min_value=TOKEN_DAYS[0],
        max_value=TOKEN_DAYS[1],
        required=False,
        help_text="Leave empty for a token that does not expire.",
    )


def absorb(form: forms.Form, error: ValidationError) -> None:
    """Put a service's refusal on the form: on the fields it names that the form has, and the
    rest above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)


def _local_input(label: str) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        input_formats=[LOCAL_INPUT, "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT),
    )


class TimeOffForm(forms.Form):
    """When the person is away, on their own wall clock (read inside timezone.override)."""

    start = _local_input("Start")
    end = _local_input("End")
    reason = forms.CharField(
        label="Reason",
        max_length=200,
        required=False,
        help_text="Optional; only you and your team's admins see it.",
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end <= start:
            self.add_error("end", "End must be after Start.")
        return cleaned


class HolidayCalendarForm(forms.Form):
    """Whose public holidays the person keeps: a country of the `holidays` package, or blank
    for their time zone's (named in the blank choice)."""

    holiday_country = forms.ChoiceField(label="Public holidays", required=False)
    holiday_subdivision = forms.CharField(
        label="Subdivision (optional)",
        max_length=10,
        required=False,
        help_text="A state or region with holidays of its own, by its code: SP for São Paulo "
        "in Brazil, CA for California in the United States.",
    )

    def __init__(self, *args, zone_country: str, **kwargs):
        super().__init__(*args, **kwargs)
        names = calendars.country_names()
        from_zone = names.get(zone_country, "none: my time zone has no country")
        self.fields["holiday_country"].choices = [("", f"From my time zone ({from_zone})")] + [
            (code, name) for code, name in names.items()
        ]
