"""/api/v1/teams/: the teams you are in, with their members and roles. A superuser creates a
team; its admins change it, delete it once it holds nothing, and say who is in it."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from oncall import clock
from oncall.api.access import ADMIN, require_role, require_superuser
from oncall.api.base import TeamScopedReadOnlyViewSet, visible_people
from oncall.api.fields import ApiModelSerializer, PersonRefSerializer, ScopedRelatedField
from oncall.api.schema import ERRORS
from oncall.models import Membership, Team
from oncall.services import (
    team_create,
    team_delete,
    team_member_add,
    team_member_remove,
    team_member_role_set,
    team_update,
)

REST_PAGES_HELP = (
    "Rest protection: after a night with this many sleep-hours pages or more (notification "
    "rounds, 1 or more), the person's next night on call is offered to the team as a cover "
    "request. null: off."
)
REST_NIGHTS_HELP = (
    "Rest protection: the team's manager is told when someone has been woken on this many of "
    "the last 7 nights (1 to 7), at most once a week per person. null: off."
)


class MemberSerializer(ApiModelSerializer):
    person = PersonRefSerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ["person", "role"]
        read_only_fields = fields


class TeamSerializer(ApiModelSerializer):
    manager = PersonRefSerializer(read_only=True, allow_null=True, help_text="Its manager.")
    members = MemberSerializer(
        source="memberships", many=True, read_only=True, help_text="Everyone in it, with roles."
    )

    class Meta:
        model = Team
        fields = [
            "id",
            "name",
            "slug",
            "slack_channel",
            "manager",
            "members",
            "rest_after_sleep_pages",
            "rest_notice_nights",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "rest_after_sleep_pages": {"help_text": REST_PAGES_HELP},
            "rest_notice_nights": {"help_text": REST_NIGHTS_HELP},
        }


class TeamCreateBody(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    slug = serializers.SlugField(
        max_length=100, required=False, help_text="For URLs; made from the name if not given."
    )
    slack_channel = serializers.CharField(
        max_length=32, required=False, allow_blank=True, help_text="Slack channel id."
    )


class TeamBody(TeamCreateBody):
    slug = serializers.SlugField(max_length=100)
    manager = ScopedRelatedField(
        what="person",
        scope=visible_people,
        required=False,
        allow_null=True,
        help_text="A member's id, or null.",
    )
    rest_after_sleep_pages = serializers.IntegerField(
        min_value=1, max_value=100, required=False, allow_null=True, help_text=REST_PAGES_HELP
    )
    rest_notice_nights = serializers.IntegerField(
        min_value=1, max_value=7, required=False, allow_null=True, help_text=REST_NIGHTS_HELP
    )


class MemberBody(serializers.Serializer):
    person = ScopedRelatedField(what="person", scope=visible_people, help_text="A person's id.")
    role = serializers.ChoiceField(choices=Membership.Role.choices, default="responder")


class RoleBody(serializers.Serializer):
    role = serializers.ChoiceField(choices=Membership.Role.choices)


NO_CONTENT = {204: None, 409: ERRORS[409]}
PERSON_ID = OpenApiParameter(
    "person_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The member's person id."
)


class TeamViewSet(TeamScopedReadOnlyViewSet):
    """The teams you are in, with their members and roles."""

    queryset = Team.objects.select_related("manager").prefetch_related("memberships__person")
    serializer_class = TeamSerializer
    team_path = "pk"
    ordering_fields = ["id", "name"]

    def _shown(self, team: Team, status_code: int = status.HTTP_200_OK) -> Response:
        return Response(TeamSerializer(self.queryset.get(pk=team.pk)).data, status=status_code)

    @extend_schema(request=TeamCreateBody, responses={201: TeamSerializer})
    def create(self, request):
        """Create a team (superusers only); your own person, if you have one, is its admin."""
        require_superuser(request, "create a team")
        body = TeamCreateBody(data=request.data)
        body.is_valid(raise_exception=True)
        person = getattr(request.user, "person", None)
        team = team_create(**body.validated_data, admin=person)
        return self._shown(team, status.HTTP_201_CREATED)

    @extend_schema(request=TeamBody, responses={200: TeamSerializer})
    def update(self, request, pk=None, partial=False):
        """Change a team: its name, slug, Slack channel, manager or rest protection (team
        admins)."""
        team = self.get_object()
        require_role(request, team.pk, ADMIN, "change the team")
        body = TeamBody(data=request.data, partial=partial, context={"request": request})
        body.is_valid(raise_exception=True)
        team_update(team=team, **body.validated_data)
        return self._shown(team)

    @extend_schema(request=TeamBody, responses={200: TeamSerializer})
    def partial_update(self, request, pk=None):
        """Change some of a team's fields (team admins)."""
        return self.update(request, pk, partial=True)

    @extend_schema(request=None, responses=NO_CONTENT)
    def destroy(self, request, pk=None):
        """Delete a team that no longer holds schedules, escalation policies or services."""
        team = self.get_object()
        require_role(request, team.pk, ADMIN, "delete the team")
        team_delete(team=team)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=MemberBody, responses={201: MemberSerializer})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def members(self, request, pk=None):
        """Add a person to the team with a role (team admins)."""
        team = self.get_object()
        require_role(request, team.pk, ADMIN, "add members")
        body = MemberBody(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        membership = team_member_add(team=team, **body.validated_data)
        return Response(MemberSerializer(membership).data, status=status.HTTP_201_CREATED)

    def _membership(self, request, pk, person_id, what: str) -> Membership:
        team = self.get_object()
        require_role(request, team.pk, ADMIN, what)
        membership = team.memberships.select_related("person", "team").filter(person_id=person_id)
        if not membership:
            raise NotFound()
        return membership[0]

    @extend_schema(
        parameters=[PERSON_ID],
        request=RoleBody,
        responses={200: MemberSerializer, 409: ERRORS[409]},
    )
    @action(
        detail=True,
        methods=["patch"],
        url_path=r"members/(?P<person_id>[0-9]{1,18})",
        filter_backends=[],
        pagination_class=None,
    )
    def member(self, request, pk=None, person_id=None):
        """Change a member's role (team admins); the team's last admin stays an admin."""
        membership = self._membership(request, pk, person_id, "change roles")
        body = RoleBody(data=request.data)
        body.is_valid(raise_exception=True)
        membership = team_member_role_set(membership=membership, **body.validated_data)
        return Response(MemberSerializer(membership).data)

    @extend_schema(parameters=[PERSON_ID], request=None, responses=NO_CONTENT)
    @member.mapping.delete
    def member_remove(self, request, pk=None, person_id=None):
        """Take a person out of the team (team admins).

        Refused (409) while they take turns in the team's schedules, cover an override to come,
        or its policies page them by name, or while they are its last admin.
        """
        membership = self._membership(request, pk, person_id, "remove members")
        team_member_remove(membership=membership, now=clock.now())
        return Response(status=status.HTTP_204_NO_CONTENT)
