"""/api/v1/oncall/ and what a schedule's reads share with it: who is on call at an instant,
until when, who is next, and the final shifts between two instants."""

from __future__ import annotations

from datetime import timedelta

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from oncall import clock, selectors
from oncall.api.access import VIEWER, teams_with
from oncall.api.fields import AwareDateTimeField, PersonRefSerializer, RefSerializer, person_ref
from oncall.models import Schedule

MAX_SHIFTS_WINDOW = timedelta(days=92)
DEFAULT_SHIFTS_WINDOW = timedelta(days=7)


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


def instant_asked(request):
    """Return the instant of the request's `at` (now when it gives none)."""
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
        at = instant_asked(request)
        schedules = Schedule.objects.filter(team__in=teams_with(request, VIEWER))
        team = request.query_params.get("team")
        if team is not None:
            if not team.isdigit() or len(team) > 18:
                raise serializers.ValidationError({"team": ["Give a team's id."]})
            schedules = schedules.filter(team_id=int(team))
        answers = selectors.oncall_now(at=at, schedules=schedules.order_by("name", "pk"))
        return Response([oncall_answer(answer) for answer in answers])
