"""Fields and filters the whole API shares: aware instants, choices, ids, references."""

from __future__ import annotations

from datetime import UTC

import django_filters
from django import forms
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_filters.fields import IsoDateTimeField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

OUT_OF_RANGE = "Give an instant between the years 1 and 9999."
NAIVE = "Give a time zone, for example 2026-03-29T09:00:00+01:00 or 2026-03-29T08:00:00Z."


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO-8601 instant with its offset; a naive one is refused rather than guessed at."""

    default_error_messages = {"naive": NAIVE}

    def enforce_timezone(self, value):
        if timezone.is_naive(value):
            self.fail("naive")
        return super().enforce_timezone(value)


class ApiModelSerializer(serializers.ModelSerializer):
    """A read-only ModelSerializer whose instants refuse naive input when one is ever written."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: AwareDateTimeField,
    }


class _AwareIsoDateTimeField(IsoDateTimeField):
    def to_python(self, value):
        if isinstance(value, str) and value.strip():
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None  # the parent names the problem
            if parsed is not None and timezone.is_naive(parsed):
                raise forms.ValidationError(NAIVE, code="naive")
        instant = super().to_python(value)
        if instant is None:
            return None
        # In UTC: PostgreSQL refuses offsets past 15:59 that ISO-8601 and Python allow.
        try:
            return instant.astimezone(UTC)
        except OverflowError as error:
            raise forms.ValidationError(OUT_OF_RANGE, code="overflow") from error


class AwareDateTimeFilter(django_filters.IsoDateTimeFilter):
    """A `since`/`until` filter that refuses a naive instant (400 naming the parameter)."""

    field_class = _AwareIsoDateTimeField


class CommaMultipleChoiceField(forms.MultipleChoiceField):
    """Accept `?status=a&status=b` as well as `?status=a,b`."""

    def to_python(self, value):
        values = super().to_python(value)
        return [part.strip() for item in values for part in item.split(",") if part.strip()]


class ChoicesFilter(django_filters.MultipleChoiceFilter):
    """One or more values, repeated or comma-separated; no DISTINCT (nothing to-many is joined)."""

    field_class = CommaMultipleChoiceField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("distinct", False)
        super().__init__(*args, **kwargs)


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    """An id, not looked up: an unknown id, or another team's, finds nothing (no 400 to tell)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


def id_filter(field_name: str, what: str) -> IdFilter:
    return IdFilter(field_name=field_name, help_text=f"{what}'s id.")


class RefSerializer(serializers.Serializer):
    """Another object as the API names it: its id and name."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class PersonRefSerializer(serializers.Serializer):
    """A person as other resources name them: id and display name."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="display_name", read_only=True, help_text="Display name.")


def person_ref(person) -> dict | None:
    """Return `person` as {"id", "name"}, or None (fast: no serializer in the way)."""
    return None if person is None else {"id": person.pk, "name": person.display_name}


@extend_schema_field(OpenApiTypes.INT)
class ScopedRelatedField(serializers.RelatedField):
    """Another object by its id, among those `scope(request)` returns (the caller's teams'):
    any other is refused exactly as a missing one ("There is no such person in your teams."),
    never revealing that it exists."""

    def __init__(self, *, what: str, scope, **kwargs):
        self.scope = scope
        kwargs["error_messages"] = {
            "does_not_exist": f"There is no such {what} in your teams.",
            "incorrect_type": f"Give the {what}'s id, a number.",
        } | kwargs.get("error_messages", {})
        super().__init__(**kwargs)

    def get_queryset(self):
        return self.scope(self.context["request"])

    def to_internal_value(self, data):
        if isinstance(data, str) and data.isascii() and data.isdigit():
            data = int(data)
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("incorrect_type")
        found = self.get_queryset().filter(pk=data).first() if 0 < data < 2**63 else None
        if found is None:
            self.fail("does_not_exist")
        return found

    def to_representation(self, value):
        return value.pk
