"""/api/v1/schedules/{id}/layers/: a schedule's rotations, with their participants in turn order
and the windows (restrictions) they are active in; team admins write them."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response

from oncall.api.access import ADMIN, require_role
from oncall.api.fields import (
    ApiModelSerializer,
    AwareDateTimeField,
    PersonRefSerializer,
    person_ref,
)
from oncall.api.pagination import Cursor
from oncall.api.schedule_parts import PersonIdField, SchedulePartViewSet, members_named, parsed
from oncall.models import Layer, LayerRestriction
from oncall.services import LayerSpec, RestrictionSpec, layer_create, layer_delete, layer_update

MAX_PARTICIPANTS, MAX_RESTRICTIONS = 200, 50
DAY, WEEK = timedelta(days=1), timedelta(days=7)
MONDAY = datetime(2001, 1, 1, tzinfo=UTC)  # any Monday: weekdays are counted from one
WEEKLY = LayerRestriction.Kind.WEEKLY
WHO_MAY = "change its schedules"


def _offset(weekday: int, at: time) -> timedelta:
    return timedelta(days=weekday, hours=at.hour, minutes=at.minute, seconds=at.second)


class RestrictionSerializer(serializers.Serializer):
    """A window, in the layer's local time, when the layer is active: both its end and its
    duration are given."""

    kind = serializers.ChoiceField(choices=LayerRestriction.Kind.choices)
    start_time = serializers.TimeField(help_text="Local wall-clock time, e.g. 09:00:00.")
    end_time = serializers.TimeField(help_text="Local; equal to start_time for a whole day/week.")
    start_weekday = serializers.IntegerField(
        allow_null=True, help_text="0 = Monday … 6 = Sunday; null for a daily window."
    )
    end_weekday = serializers.IntegerField(allow_null=True, help_text="null for a daily window.")
    duration = serializers.IntegerField(help_text="Seconds from start to end.")

    def to_representation(self, restriction):
        weekly = restriction.kind == WEEKLY
        start_day = restriction.start_weekday if weekly else 0
        end = MONDAY + _offset(start_day, restriction.start_time) + restriction.duration
        return {
            "kind": restriction.kind,
            "start_time": restriction.start_time.isoformat(),
            "end_time": end.time().isoformat(),
            "start_weekday": start_day if weekly else None,
            "end_weekday": end.weekday() if weekly else None,
            "duration": int(restriction.duration.total_seconds()),
        }


class RestrictionWriteSerializer(serializers.Serializer):
    """A window when the layer is active: its start, and its end or its duration."""

    kind = serializers.ChoiceField(choices=LayerRestriction.Kind.choices)
    start_time = serializers.TimeField(help_text="Local wall-clock time, e.g. 09:00.")
    end_time = serializers.TimeField(required=False, help_text="Local, e.g. 17:00.")
    start_weekday = serializers.IntegerField(
        min_value=0,
        max_value=6,
        required=False,
        allow_null=True,
        help_text="Weekly only: 0 = Monday … 6 = Sunday.",
    )
    end_weekday = serializers.IntegerField(
        min_value=0, max_value=6, required=False, allow_null=True, help_text="Weekly only."
    )
    duration = serializers.IntegerField(
        min_value=0,
        max_value=int(WEEK.total_seconds()),
        required=False,
        help_text="Seconds, instead of end_time (at most a day for daily, a week for weekly).",
    )

    def validate(self, attrs) -> RestrictionSpec:
        weekly = attrs["kind"] == WEEKLY
        days = ("start_weekday", "end_weekday")
        if not weekly and (given := [d for d in days if attrs.get(d) is not None]):
            raise serializers.ValidationError(
                dict.fromkeys(given, "Only a weekly restriction has weekdays.")
            )
        needed = days if "end_time" in attrs else days[:1]
        if weekly and (missing := [d for d in needed if attrs.get(d) is None]):
            raise serializers.ValidationError(
                dict.fromkeys(missing, "Give a weekday: 0 (Monday) to 6 (Sunday).")
            )
        span = WEEK if weekly else DAY
        start = _offset(attrs.get("start_weekday") or 0, attrs["start_time"])
        end = None
        if "end_time" in attrs:
            end = _offset(attrs.get("end_weekday") or 0, attrs["end_time"])
        if "duration" in attrs:
            duration = timedelta(seconds=attrs["duration"])
            if end is not None and (start + duration) % span != end % span:
                raise serializers.ValidationError(
                    {"duration": "It does not end at end_time: give one or the other."}
                )
        elif end is not None:
            duration = (end - start) % span
        else:
            raise serializers.ValidationError(
                {"end_time": "Give end_time (or duration, in seconds)."}
            )
        if not duration:
            field = "duration" if "duration" in attrs else "end_time"
            raise serializers.ValidationError(
                {field: "Restriction end must differ from its start."}
            )
        return RestrictionSpec(
            kind=attrs["kind"],
            start_time=attrs["start_time"],
            duration=duration,
            start_weekday=attrs.get("start_weekday") or 0,
        )


class LayerSerializer(ApiModelSerializer):
    participants = serializers.SerializerMethodField(help_text="Who takes turns, in order.")
    restrictions = RestrictionSerializer(many=True, read_only=True)

    class Meta:
        model = Layer
        fields = [
            "id",
            "name",
            "schedule",
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


class LayerWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    participants = serializers.ListField(
        child=PersonIdField(),
        allow_empty=False,
        max_length=MAX_PARTICIPANTS,
        error_messages={"empty": "A layer needs at least one member."},
        help_text="Person ids in turn order, members of the team (one may appear twice).",
    )
    turn_unit = serializers.ChoiceField(choices=Layer.TurnUnit.choices)
    turn_count = serializers.IntegerField(min_value=1, max_value=1000)
    handoff = AwareDateTimeField(help_text="An instant when the first participant's turn begins.")
    time_zone = serializers.CharField(
        max_length=64, help_text="The IANA zone turns and restrictions are counted in."
    )
    position = serializers.IntegerField(
        min_value=0, max_value=32767, required=False, help_text="Higher wins (default: on top)."
    )
    active_from = AwareDateTimeField(required=False, allow_null=True)
    active_until = AwareDateTimeField(required=False, allow_null=True)
    restrictions = RestrictionWriteSerializer(
        many=True,
        required=False,
        max_length=MAX_RESTRICTIONS,
        help_text="When the layer is active (always, when there are none).",
    )


def layer_specs(request, bodies: list[dict], *, team_id: int) -> list[LayerSpec]:
    """Return a schedule body's whole layers as specs, their participants the team's members
    (400 naming layers[index].participants otherwise)."""
    fields = [f"layers[{index}].participants" for index in range(len(bodies))]
    named = dict(zip(fields, (body["participants"] for body in bodies), strict=True))
    people = members_named(request, team_id=team_id, named=named)
    return [
        LayerSpec(**{**body, "participants": people[field]})
        for field, body in zip(fields, bodies, strict=True)
    ]


class LowestFirst(Cursor):
    ordering = "position"  # unique within a schedule; as the schedule lists its layers


class LayerViewSet(SchedulePartViewSet):
    """The schedule's layers, lowest first: each a rotation with its participants."""

    queryset = Layer.objects.prefetch_related("members__person", "restrictions")
    serializer_class = LayerSerializer
    filter_backends = []
    pagination_class = LowestFirst

    def _answer(self, layer, code=status.HTTP_200_OK) -> Response:
        return Response(LayerSerializer(self.get_queryset().get(pk=layer.pk)).data, status=code)

    def _with_people(self, body: dict, team_id: int) -> dict:
        """Return the body with its participant ids as the team's members (400 otherwise)."""
        if "participants" in body:
            participants = {"participants": body["participants"]}
            named = members_named(self.request, team_id=team_id, named=participants)
            body = {**body, **named}
        return body

    @extend_schema(request=LayerWriteSerializer, responses={201: LayerSerializer})
    def create(self, request, *args, **kwargs):
        """Add a layer to the schedule, on top unless a position is given (team admins)."""
        schedule = self.schedule
        require_role(request, schedule.team_id, ADMIN, WHO_MAY)
        body = parsed(LayerWriteSerializer, request.data)
        layer = layer_create(schedule=schedule, **self._with_people(body, schedule.team_id))
        return self._answer(layer, status.HTTP_201_CREATED)

    @extend_schema(request=LayerWriteSerializer, responses={200: LayerSerializer})
    def update(self, request, *args, **kwargs):
        """Replace the layer whole: what is left out takes its default (none, always active)."""
        return self._update(request, partial=False)

    @extend_schema(request=LayerWriteSerializer, responses={200: LayerSerializer})
    def partial_update(self, request, *args, **kwargs):
        """Change some of the layer; participants and restrictions are replaced as lists."""
        return self._update(request, partial=True)

    def _update(self, request, *, partial: bool) -> Response:
        layer = self.get_object()
        layer.schedule = self.schedule  # the same row, read once
        team_id = self.schedule.team_id
        require_role(request, team_id, ADMIN, WHO_MAY)
        body = parsed(LayerWriteSerializer, request.data, patch=partial)
        if not partial:
            body = {"active_from": None, "active_until": None, "restrictions": [], **body}
        layer = layer_update(layer=layer, **self._with_people(body, team_id))
        return self._answer(layer)

    @extend_schema(responses={204: None})
    def destroy(self, request, *args, **kwargs):
        """Delete the layer with its participants and restrictions (team admins)."""
        layer = self.get_object()
        require_role(request, self.schedule.team_id, ADMIN, WHO_MAY)
        layer_delete(layer=layer)
        return Response(status=status.HTTP_204_NO_CONTENT)
