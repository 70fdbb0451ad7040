"""/api/v1/oncall/ and /api/v1/schedules/: who is on call, each schedule's final shifts, and its
layers and overrides (read-only; written in part 2)."""

from __future__ import annotations

from datetime import timedelta

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from oncall import clock, selectors
from oncall.api.access import VIEWER, teams_with
from oncall.api.base import TeamScopedReadOnlyViewSet
from oncall.api.fields import (
    ApiModelSerializer,
    AwareDateTimeField,
    AwareDateTimeFilter,
    PersonRefSerializer,
    RefSerializer,
    id_filter,
    person_ref,
)
from oncall.models import Layer, LayerRestriction, Override, Schedule

MAX_SHIFTS_WINDOW = timedelta(days=92)
DEFAULT_SHIFTS_WINDOW = timedelta(days=7)


class RestrictionSerializer(ApiModelSerializer):
    class Meta:
        model = LayerRestriction
        fields = ["kind", "start_weekday", "start_time", "duration"]
        read_only_fields = fields


class LayerSerializer(ApiModelSerializer):
    participants = serializers.SerializerMethodField(help_text="Who takes turns, in order.")
    restrictions = RestrictionSerializer(many=True, read_only=True)

    class Meta:
        model = Layer
        fields = [
            "id",
            "name",
            "position",
            "turn_unit",
            "turn_count",
            "handoff",
            "time_zone",
            "active_from",
            "active_until",
            "participants",
            "restrictions",
        ]
        read_only_fields = fields

    @extend_schema_field(PersonRefSerializer(many=True))
    def get_participants(self, layer) -> list[dict]:
        return [person_ref(member.person) for member in layer.members.all()]


class OverrideSerializer(ApiModelSerializer):
    person = PersonRefSerializer(read_only=True, help_text="Who covers, over every layer.")
    name = serializers.SerializerMethodField(help_text="Who, and from when.")

    class Meta:
        model = Override
        fields = ["id", "name", "schedule", "person", "start", "end", "reason", "created_at"]
        read_only_fields = fields

    def get_name(self, override) -> str:
        return f"{override.person.display_name} from {override.start.isoformat()}"


class ScheduleSerializer(ApiModelSerializer):
    team = RefSerializer(read_only=True)
    layers = LayerSerializer(many=True, read_only=True, help_text="Lowest first; higher wins.")

    class Meta:
        model = Schedule
        fields = ["id", "name", "team", "time_zone", "description", "version", "layers"]
        read_only_fields = fields


class NowSerializer(serializers.Serializer):
    person = PersonRefSerializer()
    until = serializers.DateTimeField(allow_null=True, help_text="null: not within 60 days.")


# "from" is a Python keyword, so this shape is declared inline rather than as a class.
NextSerializer = inline_serializer(
    name="OnCallNext",
    fields={
        "person": PersonRefSerializer(),
        "from": serializers.DateTimeField(help_text="When they come on."),
    },
    allow_null=True,
    help_text="null: nobody within 60 days.",
)


class OnCallSerializer(serializers.Serializer):
    """Documents the shape only: answers are built by oncall_answer(), cheaper by far."""

    schedule = RefSerializer()
    team = serializers.IntegerField(help_text="The schedule's team's id.")
    now = NowSerializer(allow_null=True, help_text="null: a gap, nobody is on call.")
    next = NextSerializer


def oncall_answer(entry: selectors.OnCall) -> dict:
    """Return one schedule's answer in the API's shape."""
    schedule = entry.schedule
    now = entry.person and {"person": person_ref(entry.person), "until": _iso(entry.until)}
    upcoming = entry.next_person and {
        "person": person_ref(entry.next_person),
        "from": _iso(entry.next_start),
    }
    return {
        "schedule": {"id": schedule.pk, "name": schedule.name},
        "team": schedule.team_id,
        "now": now or None,
        "next": upcoming or None,
    }


def _iso(value) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


class ShiftSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    person = PersonRefSerializer(allow_null=True, help_text="null: a gap, nobody on call.")


class InstantQuery(serializers.Serializer):
    at = AwareDateTimeField(required=False)


class WindowQuery(serializers.Serializer):
    since = AwareDateTimeField(required=False)
    until = AwareDateTimeField(required=False)

    def validate(self, attrs):
        since = attrs.get("since") or clock.now()
        until = attrs.get("until") or since + DEFAULT_SHIFTS_WINDOW
        if until <= since:
            raise serializers.ValidationError({"until": ["Give an until after since."]})
        if until - since > MAX_SHIFTS_WINDOW:
            raise serializers.ValidationError(
                {"until": [f"Ask for at most {MAX_SHIFTS_WINDOW.days} days at a time."]}
            )
        return {"since": since, "until": until}


def _instant(request):
    query = InstantQuery(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data.get("at") or clock.now()


AT = OpenApiParameter(
    "at", OpenApiTypes.DATETIME, description="The instant asked about, with its offset (now)."
)
ONCALL_EXAMPLE = OpenApiExample(
    "Follow the sun",
    value={
        "schedule": {"id": 1, "name": "Primary"},
        "team": 1,
        "now": {"person": {"id": 7, "name": "Rita Oliveira"}, "until": "2026-11-26T16:00:00Z"},
        "next": {"person": {"id": 3, "name": "Fernanda Alves"}, "from": "2026-11-26T16:00:00Z"},
    },
    response_only=True,
)


class ScheduleFilter(django_filters.FilterSet):
    team = id_filter("team_id", "A team")

    class Meta:
        model = Schedule
        fields = ["team"]


class OverrideFilter(django_filters.FilterSet):
    since = AwareDateTimeFilter(
        field_name="end", lookup_expr="gt", help_text="Overrides that end after this instant."
    )
    until = AwareDateTimeFilter(
        field_name="start", lookup_expr="lt", help_text="Overrides that start before it."
    )

    class Meta:
        model = Override
        fields = ["since", "until"]


class ScheduleViewSet(TeamScopedReadOnlyViewSet):
    """Your teams' schedules: layers of rotations, with overrides on top."""

    queryset = Schedule.objects.select_related("team").prefetch_related(
        "layers__members__person", "layers__restrictions"
    )
    serializer_class = ScheduleSerializer
    filterset_class = ScheduleFilter
    ordering_fields = ["id", "name"]

    @extend_schema(parameters=[AT], responses={200: OnCallSerializer}, examples=[ONCALL_EXAMPLE])
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def oncall(self, request, pk=None):
        """Who is on call for this schedule at an instant, until when, and who is next."""
        schedule = self.get_object()
        at = _instant(request)
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

    @extend_schema(responses={200: LayerSerializer(many=True)})
    @action(detail=True, methods=["get"], filter_backends=[])
    def layers(self, request, pk=None):
        """The schedule's layers, lowest first: each a rotation with its participants."""
        schedule = self.get_object()
        page = self.paginate_queryset(schedule.layers.prefetch_related("members__person"))
        return self.get_paginated_response(LayerSerializer(page, many=True).data)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "since", OpenApiTypes.DATETIME, description="Overrides ending after this instant."
            ),
            OpenApiParameter(
                "until", OpenApiTypes.DATETIME, description="Overrides starting before it."
            ),
        ],
        responses={200: OverrideSerializer(many=True)},
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def overrides(self, request, pk=None):
        """The schedule's overrides: someone covering it for a while, whatever its layers say."""
        schedule = self.get_object()
        overrides = OverrideFilter(
            request.query_params, queryset=schedule.overrides.select_related("person")
        )
        if not overrides.is_valid():
            raise serializers.ValidationError(overrides.errors)
        page = self.paginate_queryset(overrides.qs)
        return self.get_paginated_response(OverrideSerializer(page, many=True).data)


class OnCallView(APIView):
    """Who is on call now for every schedule you can see, until when, and who is next."""

    @extend_schema(
        summary="Who is on call now",
        parameters=[
            AT,
            OpenApiParameter("team", OpenApiTypes.INT, description="Only this team's schedules."),
        ],
        responses={200: OnCallSerializer(many=True)},
        examples=[ONCALL_EXAMPLE],
    )
    def get(self, request):
        at = _instant(request)
        schedules = Schedule.objects.filter(team__in=teams_with(request, VIEWER))
        team = request.query_params.get("team")
        if team is not None:
            if not team.isdigit() or len(team) > 18:
                raise serializers.ValidationError({"team": ["Give a team's id."]})
            schedules = schedules.filter(team_id=int(team))
        answers = selectors.oncall_now(at=at, schedules=schedules.order_by("name", "pk"))
        return Response([oncall_answer(answer) for answer in answers])
