"""What an audit entry says of an object: its values as JSON holds them, and whose it is."""

from __future__ import annotations

from contextlib import suppress
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import models


def json_value(value):
    """Return `value` as JSON can hold it: instants in ISO-8601 in UTC with their offset,
    durations in seconds, foreign keys as the ids they are."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime) and value.utcoffset() is not None:
        return value.astimezone(UTC).isoformat()  # one instant, one spelling
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
        return int(seconds) if seconds.is_integer() else seconds
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(key): json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_value(item) for item in value]
    return str(value)


def field_value(field: models.Field, value):
    """Return a field's value as JSON holds it."""
    # "5" and 5 are the same value once saved.
    with suppress(ValidationError, TypeError, ValueError):
        value = field.to_python(value)
    return json_value(value)


def resolve(instance, path: str | None, memo: dict):
    """Return the value at lookup `path` from `instance`: through the relations already loaded
    where it can, else with one query, remembered in `memo` by the row it starts from (the
    members of one layer ask for its team once)."""
    if path is None:
        return None
    if path == "pk":
        return instance.pk
    obj, parts = instance, path.split("__")
    for index, part in enumerate(parts):
        field = obj._meta.get_field(part)
        if not field.concrete:  # a reverse relation: ask from here
            model, pk, rest = type(obj), obj.pk, "__".join(parts[index:])
        elif index == len(parts) - 1:
            return getattr(obj, field.attname)
        elif field.is_cached(obj):
            obj = field.get_cached_value(obj)
            if obj is None:
                return None
            continue
        else:
            model, pk, rest = (
                field.related_model,
                getattr(obj, field.attname),
                "__".join(parts[index + 1 :]),
            )
            if pk is None:
                return None
        key = (model, pk, rest)
        if key not in memo:
            memo[key] = model._base_manager.filter(pk=pk).values_list(rest, flat=True).first()
        return memo[key]
    return None
