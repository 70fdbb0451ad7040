"""/api/v1/schedules/: your teams' schedules, who is on call for each and its final shifts; team
admins create, change and delete them, layers included, whole or not at all."""

from __future__ import annotations

import django_filters
from django.db.models import ProtectedError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from oncall import selectors
from oncall.api.access import ADMIN, require_role, team_roles
from oncall.api.base import TeamScopedReadOnlyViewSet
from oncall.api.errors import Conflict
from oncall.api.fields import ApiModelSerializer, RefSerializer, id_filter
from oncall.api.layers import LayerSerializer, LayerWriteSerializer, layer_specs
from oncall.api.oncall import (
    AT,
    ONCALL_EXAMPLE,
    OnCallSerializer,
    ShiftSerializer,
    WindowQuery,
    instant_asked,
    oncall_answer,
)
from oncall.api.schedule_parts import MAX_ID, parsed
from oncall.api.schema import ERRORS
from oncall.models import Schedule, Team
from oncall.services import schedule_create, schedule_delete, schedule_update

MAX_LAYERS = 20


class ScheduleSerializer(ApiModelSerializer):
    team = RefSerializer(read_only=True)
    layers = LayerSerializer(many=True, read_only=True, help_text="Lowest first; higher wins.")

    class Meta:
        model = Schedule
        fields = ["id", "name", "team", "time_zone", "description", "version", "layers"]
        read_only_fields = fields


class ScheduleWriteSerializer(serializers.Serializer):
    team = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="The team's id; you must be its admin."
    )
    name = serializers.CharField(max_length=100, help_text="Unique across Plantão.")
    time_zone = serializers.CharField(max_length=64, help_text="The IANA zone it is shown in.")
    description = serializers.CharField(max_length=10_000, required=False, allow_blank=True)
    layers = LayerWriteSerializer(
        many=True,
        required=False,
        max_length=MAX_LAYERS,
        help_text="Lowest first. On PUT or PATCH, the schedule's layers are replaced by these.",
    )


class ScheduleChangeSerializer(ScheduleWriteSerializer):
    team = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        help_text="Its team, unchanged: a schedule never moves to another team.",
    )


class ScheduleFilter(django_filters.FilterSet):
    team = id_filter("team_id", "A team")

    class Meta:
        model = Schedule
        fields = ["team"]


class ScheduleViewSet(TeamScopedReadOnlyViewSet):
    """Your teams' schedules: layers of rotations, with overrides on top."""

    queryset = Schedule.objects.select_related("team").prefetch_related(
        "layers__members__person", "layers__restrictions"
    )
    serializer_class = ScheduleSerializer
    filterset_class = ScheduleFilter
    ordering_fields = ["id", "name"]

    def _answer(self, schedule, code=status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=schedule.pk)  # its version and layers as stored
        return Response(ScheduleSerializer(fresh).data, status=code)

    @extend_schema(request=ScheduleWriteSerializer, responses={201: ScheduleSerializer})
    def create(self, request, *args, **kwargs):
        """Create a schedule with its layers, saved whole or not at all (team admins)."""
        body = parsed(ScheduleWriteSerializer, request.data)
        team_id = body.pop("team")
        if team_id not in team_roles(request):
            raise serializers.ValidationError({"team": ["There is no such team in your teams."]})
        require_role(request, team_id, ADMIN, "create its schedules")
        body["layers"] = layer_specs(request, body.get("layers", []), team_id=team_id)
        schedule = schedule_create(team=Team.objects.get(pk=team_id), **body)
        return self._answer(schedule, status.HTTP_201_CREATED)

    @extend_schema(request=ScheduleChangeSerializer, responses={200: ScheduleSerializer})
    def update(self, request, *args, **kwargs):
        """Replace the schedule's name, zone and description, and its layers when given."""
        return self._update(request, partial=False)

    @extend_schema(request=ScheduleChangeSerializer, responses={200: ScheduleSerializer})
    def partial_update(self, request, *args, **kwargs):
        """Change some of the schedule; given layers replace its layers whole."""
        return self._update(request, partial=True)

    def _update(self, request, *, partial: bool) -> Response:
        schedule = self.get_object()
        require_role(request, schedule.team_id, ADMIN, "change its schedules")
        body = parsed(ScheduleChangeSerializer, request.data, patch=partial)
        if body.pop("team", schedule.team_id) != schedule.team_id:
            raise serializers.ValidationError(
                {"team": ["A schedule stays in its team: create one in the other team instead."]}
            )
        if not partial:
            body.setdefault("description", "")
        if "layers" in body:
            body["layers"] = layer_specs(request, body["layers"], team_id=schedule.team_id)
        return self._answer(schedule_update(schedule=schedule, **body))

    @extend_schema(responses={204: None, 409: ERRORS[409]})
    def destroy(self, request, *args, **kwargs):
        """Delete the schedule with its layers and overrides; 409 while a policy pages it."""
        schedule = self.get_object()
        require_role(request, schedule.team_id, ADMIN, "delete its schedules")
        try:
            schedule_delete(schedule=schedule)
        except ProtectedError as refused:
            raise Conflict(refused.args[0]) from refused
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(parameters=[AT], responses={200: OnCallSerializer}, examples=[ONCALL_EXAMPLE])
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def oncall(self, request, pk=None):
        """Who is on call for this schedule at an instant, until when, and who is next."""
        schedule = self.get_object()
        at = instant_asked(request)
        (answer,) = selectors.oncall_now(at=at, schedules=Schedule.objects.filter(pk=schedule.pk))
        return Response(oncall_answer(answer))

    @extend_schema(
        parameters=[
            OpenApiParameter("since", OpenApiTypes.DATETIME, description="Start (default now)."),
            OpenApiParameter(
                "until",
                OpenApiTypes.DATETIME,
                description="End (default since + 7 days; at most 92 days after since).",
            ),
        ],
        responses={200: ShiftSerializer(many=True)},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def shifts(self, request, pk=None):
        """The final schedule between since and until: who covers each stretch, gaps included."""
        schedule = self.get_object()
        window = WindowQuery(data=request.query_params)
        window.is_valid(raise_exception=True)
        shifts = selectors.shifts_between(schedule=schedule, **window.validated_data)
        return Response(ShiftSerializer(shifts, many=True).data)
