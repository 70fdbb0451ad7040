"""What a schedule's parts (its layers, its overrides) share in the API: the schedule named in the
URL, found only in the caller's teams, and person ids resolved among its team's members."""

from __future__ import annotations

import functools
from collections.abc import Iterable

from django.shortcuts import get_object_or_404
from rest_framework import serializers

from oncall.api.access import VIEWER, teams_with
from oncall.api.base import TeamScopedReadOnlyViewSet, visible_people
from oncall.models import Person, Schedule

ID_PATTERN = r"[0-9]{1,18}"
MAX_ID = 2**63 - 1


class PersonIdField(serializers.IntegerField):
    """A person's id; who it may name (the team's members) is checked against the schedule."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        kwargs.setdefault("help_text", "A person's id: a member of the schedule's team.")
        super().__init__(**kwargs)


def members_by_id(*, team_id: int, ids: Iterable[int]) -> dict[int, Person]:
    """Return the members of team `team_id` among `ids`, by id (one query)."""
    wanted = set(ids)
    if not wanted:
        return {}
    return Person.objects.filter(memberships__team_id=team_id, pk__in=wanted).in_bulk()


def members_named(request, *, team_id: int, named: dict[str, list[int]]) -> dict[str, list[Person]]:
    """Return each field's person ids as the team's members, in order; refuse (400, by field)
    any id that is not one: "X is not a member of the team", by name if the caller may see X,
    else by id (a person of another team is not named to them)."""
    people = members_by_id(team_id=team_id, ids=[pk for ids in named.values() for pk in ids])
    missing = {
        field: absent
        for field, ids in named.items()
        if (absent := [pk for pk in dict.fromkeys(ids) if pk not in people])
    }
    if missing:
        wanted = {pk for absent in missing.values() for pk in absent}
        known = visible_people(request).filter(pk__in=wanted).in_bulk()
        raise serializers.ValidationError(
            {
                field: [
                    f"{known[pk].display_name if pk in known else f'Person {pk}'} "
                    "is not a member of the team."
                    for pk in absent
                ]
                for field, absent in missing.items()
            }
        )
    return {field: [people[pk] for pk in ids] for field, ids in named.items()}


def parsed(serializer_class, data, *, patch: bool = False, **options) -> dict | list:
    """Return the request body validated by `serializer_class` (400 naming each field).

    A `patch` may leave out any field, but what it gives is checked whole: a layer in a PATCH
    of its schedule is a whole layer. (DRF's partial=True would let the nested layer, too, leave
    out its required fields.)
    """
    body = (_patch(serializer_class) if patch else serializer_class)(data=data, **options)
    body.is_valid(raise_exception=True)
    return body.validated_data


@functools.cache
def _patch(serializer_class):
    class Patch(serializer_class):
        def get_fields(self):
            fields = super().get_fields()
            for field in fields.values():
                field.required = False
            return fields

    Patch.__name__ = f"Patched{serializer_class.__name__}"
    return Patch


def schedule_visible(request, schedule_id) -> Schedule:
    """Return the schedule if the request holds a role in its team, else raise 404."""
    visible = Schedule.objects.filter(team__in=teams_with(request, VIEWER))
    return get_object_or_404(visible, pk=schedule_id)


class SchedulePartViewSet(TeamScopedReadOnlyViewSet):
    """A resource under /schedules/{schedule_id}/: another team's schedule, and so its parts,
    are not found (404), exactly as a missing one."""

    team_path = "schedule__team"
    lookup_value_regex = ID_PATTERN

    schedule: Schedule

    def initial(self, request, *args, **kwargs):
        """Find the schedule in the URL before anything else: 404 if the caller may not see it,
        whatever the method (a list of another team's layers does not exist either)."""
        super().initial(request, *args, **kwargs)
        self.schedule = schedule_visible(request, kwargs["schedule_id"])

    def get_queryset(self):
        return super().get_queryset().filter(schedule_id=self.kwargs["schedule_id"])
