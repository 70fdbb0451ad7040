"""What the writable configuration resources share: references by id to the caller's teams'
objects, field errors of nested bodies named by their path, and the team admin's viewset.

Only a team admin changes what the team runs (oncall/api/access.py decides): another team's
object is not found (404), a smaller role or scope is refused (403).
"""

from __future__ import annotations

from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.utils.serializer_helpers import ReturnDict

from oncall.api.access import ADMIN, VIEWER, require_role, teams_with
from oncall.api.base import TeamScopedReadOnlyViewSet

BIGGEST_ID = 2**63 - 1


class TeamRef(serializers.PrimaryKeyRelatedField):
    """The id of an object of one of the caller's teams; any other id is refused as if it did
    not exist ("There is no such schedule in your teams."), never saying that it does."""

    def __init__(self, *, what: str, team_path: str = "team", **kwargs):
        self.team_path = team_path
        kwargs.setdefault(
            "error_messages",
            {
                "does_not_exist": f"There is no such {what} in your teams.",
                "incorrect_type": f"Give the {what}'s id, a whole number.",
                "required": f"Name the {what} by its id.",
                "null": f"Name the {what} by its id.",
            },
        )
        super().__init__(**kwargs)

    def get_queryset(self):
        teams = teams_with(self.context["request"], VIEWER)
        return super().get_queryset().filter(**{f"{self.team_path}__in": teams}).distinct()

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not 1 <= data <= BIGGEST_ID:  # no such row, and larger ones overflow the database
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)


def errors_by_path(detail, path: str = "") -> dict[str, list[str]]:
    """Return DRF's nested errors as {"steps[2].targets[0].person": ["…"]}: one flat field per
    problem, named where it is in the body."""
    if isinstance(detail, dict):
        found: dict[str, list[str]] = {}
        for key, value in detail.items():
            if key in ("non_field_errors", "__all__"):
                inner = path or key
            elif isinstance(key, int):  # an item of a list, by its index
                inner = f"{path}[{key}]"
            else:
                inner = f"{path}.{key}" if path else key
            found.update(errors_by_path(value, inner))
        return found
    if isinstance(detail, list) and all(isinstance(item, str) for item in detail):
        return {path: [str(item) for item in detail]} if detail else {}
    if isinstance(detail, list):
        found = {}
        for index, item in enumerate(detail):
            found.update(errors_by_path(item, f"{path}[{index}]"))
        return found
    return {path: [str(detail)]}


class PathErrors:
    """Mix into a body serializer with nested parts: its errors are named by their path."""

    @property
    def errors(self):
        return ReturnDict(errors_by_path(super().errors), serializer=self)


class TeamAdminViewSet(TeamScopedReadOnlyViewSet):
    """A team's configuration that its admins write: read by the team, written by its admins.

    No write is inherited: a subclass defines each write it offers (create, update,
    partial_update, destroy), so a route exists only where a write was meant. It names
    `body_class` (the request body), `admin_what` (the action, for a refusal) and how to find
    an object's team (`team_id_of`); each write parses with `body`, checks with `admin_object`
    or `require_admin`, calls one service and answers with `answer`.
    """

    body_class: type[serializers.Serializer]
    admin_what = "change this"

    def team_id_of(self, obj) -> int:
        return obj.team_id

    def require_admin(self, team_id: int | None) -> None:
        require_role(self.request, team_id, ADMIN, self.admin_what)

    def admin_object(self):
        """Return the object of the URL, refusing unless the caller is an admin of its team."""
        obj = self.get_object()
        self.require_admin(self.team_id_of(obj))
        return obj

    def body(self, *, partial: bool = False, instance=None, body_class=None) -> dict:
        """Return the request's body, validated by `body_class` (the viewset's unless given):
        400 naming each field that is wrong."""
        context = self.get_serializer_context() | {"instance": instance}
        body_class = body_class or self.body_class
        parsed = body_class(data=self.request.data, partial=partial, context=context)
        parsed.is_valid(raise_exception=True)
        return parsed.validated_data

    def answer(self, obj, status_code: int = status.HTTP_200_OK) -> Response:
        """Answer with `obj` as a GET would show it, read again."""
        shown = self.get_queryset().get(pk=obj.pk)
        return Response(self.get_serializer(shown).data, status=status_code)
