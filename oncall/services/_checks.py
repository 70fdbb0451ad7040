"""What every write of the lower layer checks the same way."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.core.exceptions import ValidationError


class _Keep:
    def __repr__(self) -> str:
        return "KEEP"


# The default of an update's arguments: leave that field as it is (None may be a value to set).
KEEP = _Keep()


class InUse(Exception):
    """The object is still relied on (a person takes turns in a layer, a team still has
    schedules): nothing was changed, and `message`, for a person, names what stands in the way.
    The API answers it with 409."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def require_aware(**instants: datetime | None) -> None:
    naive = [
        name for name, value in instants.items() if value is not None and value.utcoffset() is None
    ]
    if naive:
        raise ValidationError(
            {name: "Give a time zone (for example 2026-03-29T09:00:00+01:00)." for name in naive}
        )


def assign(instance, **values) -> list[str]:
    """Set on `instance` every value that is not KEEP; return the names of those that changed."""
    changed = []
    for name, value in values.items():
        if value is not KEEP and getattr(instance, name) != value:
            setattr(instance, name, value)
            changed.append(name)
    return changed


def listed(things: Sequence[str], most: int = 5) -> str:
    """Return `things` in words: "a, b and c", at most `most` of them and how many more."""
    shown = list(things[:most])
    if len(things) > most:
        shown.append(f"{len(things) - most} more")
    if len(shown) < 2:
        return "".join(shown)
    return f"{', '.join(shown[:-1])} and {shown[-1]}"
