"""What every write of the lower layer checks the same way."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime

from django.core.exceptions import ValidationError

from oncall.models import Membership, Person


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


def strangers(*, team_id: int, people: Iterable[Person]) -> list[Person]:
    """Return those of `people` who are not members of team `team_id` (one query)."""
    people = list(people)
    members = set(
        Membership.objects.filter(
            team_id=team_id, person_id__in={person.pk for person in people}
        ).values_list("person_id", flat=True)
    )
    return [person for person in people if person.pk not in members]


def only(fields: dict, allowed: Collection[str]) -> None:
    """Refuse (TypeError: a programming error) changing fields a write does not change."""
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"cannot change {', '.join(sorted(unknown))}")


def not_a_member(person: Person) -> str:
    return f"{person.display_name} is not a member of the team."


def errors_of(error: ValidationError, prefix: str = "") -> dict[str, list[str]]:
    """Return a ValidationError's messages by field, each field name after `prefix`."""
    if not hasattr(error, "error_dict"):
        return {prefix.rstrip(".") or "__all__": error.messages}
    return {
        (f"{prefix}{field}" if field != "__all__" else prefix.rstrip(".") or field): messages
        for field, messages in error.message_dict.items()
    }
