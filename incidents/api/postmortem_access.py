"""What the postmortem API resources share: the postmortems the caller may see, the roles each
write needs (oncall/api/access.py: a role per team, capped by the token's scope), people named
by id, and the services' refusals as the API's errors.

Reading needs any role in the postmortem's team; editing, the review steps and action items
need the responder role; a team's postmortem settings are written by its admins.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rest_framework import exceptions

from incidents.models import Postmortem
from incidents.services.postmortems import (
    DraftedEntryKept,
    IncidentAlreadyInPostmortem,
    IncidentsOfSeveralTeams,
    InvalidTransition,
    NotAReviewer,
    PostmortemError,
    PostmortemReadOnly,
    StaleRevision,
)
from oncall.api.access import VIEWER, teams_with
from oncall.api.base import visible_people
from oncall.api.errors import Conflict
from oncall.models import Person

# The error code of each refusal that the postmortem's state gives (409), for programs.
CONFLICT_CODES = {
    StaleRevision: "stale_revision",
    IncidentAlreadyInPostmortem: "incident_in_postmortem",
    PostmortemReadOnly: "published",
    InvalidTransition: "invalid_transition",
    DraftedEntryKept: "drafted_entry_kept",
}


def postmortems_of(request):
    """Return the postmortems of the teams the request holds any role in."""
    return Postmortem.objects.filter(team_id__in=teams_with(request, VIEWER))


def acting_person(request) -> Person | None:
    """Return the person the request acts as (None for a user who is no person)."""
    return getattr(request.user, "person", None)


def people_named(request, ids, *, field: str) -> list[Person]:
    """Return the people of `ids`, in order, among those the request can see: any other is a
    400 naming `field`, as if they did not exist. Membership of the team is the service's."""
    found = visible_people(request).filter(pk__in=set(ids)).in_bulk()
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise exceptions.ValidationError({field: ["There is no such person in your teams."]})
    return [found[pk] for pk in dict.fromkeys(ids)]


@contextmanager
def refusals() -> Iterator[None]:
    """Answer a postmortem service's refusal with the API's one error body: a stale revision
    is a 409 naming the revision now; what the postmortem's state forbids, a 409; incidents of
    several teams, a 400 on `incidents`; someone not asked to review, a 403."""
    try:
        yield
    except IncidentsOfSeveralTeams as error:
        raise exceptions.ValidationError({"incidents": [str(error)]}) from error
    except NotAReviewer as error:
        raise exceptions.PermissionDenied(str(error)) from error
    except PostmortemError as error:
        code = CONFLICT_CODES.get(type(error), "conflict")
        raise Conflict(str(error), code=code) from error
