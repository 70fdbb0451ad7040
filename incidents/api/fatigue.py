"""/api/v1/fatigue/: a team's fatigue over a period: per person and for the team (total and
mean per person), with the week by week score of the heatmap (incidents.fatigue)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from incidents.fatigue.asked import Period, period_asked, team_asked
from incidents.fatigue.figures import SCORE_POINTS, PersonFatigue, TeamFatigue
from incidents.fatigue.selectors import team_fatigue
from oncall import clock
from oncall.api.access import VIEWER, teams_with
from oncall.api.fields import PersonRefSerializer, RefSerializer, person_ref


class FatigueQuery(serializers.Serializer):
    team = serializers.CharField(
        required=False,
        max_length=100,
        help_text="The team's slug or id (optional when you read a single team).",
    )
    since = serializers.DateField(
        required=False, help_text="First day, UTC, included (27 days before until)."
    )
    until = serializers.DateField(required=False, help_text="Last day, UTC, included (today).")


class ByClassSerializer(serializers.Serializer):
    sleep = serializers.FloatField(help_text="In the person's sleep hours, 22:00-08:00.")
    off = serializers.FloatField(help_text="Evenings 18:00-22:00 and weekend days.")
    business = serializers.FloatField(help_text="08:00-18:00, Monday to Friday.")


class FatigueWeekSerializer(serializers.Serializer):
    week = serializers.DateField(help_text="The week's Monday; weeks start 00:00 UTC.")
    score = serializers.FloatField()
    nights_woken = serializers.FloatField()


class FiguresSerializer(serializers.Serializer):
    on_call_hours = serializers.FloatField()
    night_hours = serializers.FloatField(help_text="On call in the person's sleep hours.")
    weekend_hours = serializers.FloatField()
    holiday_hours = serializers.FloatField(help_text="On their country's public holidays.")
    pages = ByClassSerializer(help_text="Notification rounds, however many channels each used.")
    pages_total = serializers.FloatField()
    incidents = ByClassSerializer(help_text="Each in the class of its first page to the person.")
    incidents_total = serializers.FloatField()
    nights_woken = serializers.FloatField(help_text="Nights with a sleep-hours page.")
    longest_run = serializers.FloatField(help_text="Most consecutive nights woken.")
    score = serializers.FloatField(help_text="The fatigue score: see score_points.")
    weeks = FatigueWeekSerializer(many=True)


class PersonFiguresSerializer(FiguresSerializer):
    person = PersonRefSerializer()
    time_zone = serializers.CharField()


class TeamRefSerializer(RefSerializer):
    slug = serializers.CharField(read_only=True)


class FatigueSerializer(serializers.Serializer):
    """Documents the shape only: answers are built by fatigue_answer()."""

    team = TeamRefSerializer()
    since = serializers.DateField(help_text="First day, UTC.")
    until = serializers.DateField(help_text="Last day, UTC, included.")
    weeks = serializers.ListField(child=serializers.DateField(), help_text="Mondays, UTC.")
    score_points = serializers.DictField(
        child=serializers.FloatField(), help_text="How many points each thing adds."
    )
    people = PersonFiguresSerializer(many=True)
    total = FiguresSerializer()
    mean = FiguresSerializer(help_text="Per person.")


def _number(value: float) -> float | int:
    return round(value, 2)


def figures_answer(found: PersonFatigue) -> dict:
    """Return one set of figures in the API's shape."""
    return {
        "on_call_hours": _number(found.load.hours),
        "night_hours": _number(found.load.night),
        "weekend_hours": _number(found.load.weekend),
        "holiday_hours": _number(found.load.holiday),
        "pages": {kind: _number(n) for kind, n in found.pages.items()},
        "pages_total": _number(found.pages_total),
        "incidents": {kind: _number(n) for kind, n in found.incidents.items()},
        "incidents_total": _number(found.incidents_total),
        "nights_woken": _number(found.nights_woken),
        "longest_run": _number(found.longest_run),
        "score": found.score,
        "weeks": [
            {
                "week": week.monday.isoformat(),
                "score": week.score,
                "nights_woken": _number(week.nights_woken),
            }
            for week in found.weeks
        ],
    }


def fatigue_answer(team, period: Period, found: TeamFatigue) -> dict:
    """Return a team's fatigue in the API's shape."""
    return {
        "team": {"id": team.pk, "name": team.name, "slug": team.slug},
        "since": period.since.isoformat(),
        "until": period.until.isoformat(),
        "weeks": [week.monday.isoformat() for week in found.total.weeks],
        "score_points": SCORE_POINTS,
        "people": [
            {"person": person_ref(person), "time_zone": person.time_zone, **figures_answer(f)}
            for person, f in found.people
        ],
        "total": figures_answer(found.total),
        "mean": figures_answer(found.mean),
    }


class FatigueView(APIView):
    """How tiring on call has been for a team's people: on-call hours at night, at weekends
    and on holidays, pages and incidents by the hours they came in, nights woken, and a score
    week by week."""

    @extend_schema(summary="Fatigue", parameters=[FatigueQuery], responses={200: FatigueSerializer})
    def get(self, request):
        query = FatigueQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        asked_for = query.validated_data
        team = team_asked(team_ids=teams_with(request, VIEWER), team=asked_for.get("team"))
        period = period_asked(
            asked_for.get("since"), asked_for.get("until"), today=clock.now().date()
        )
        found = team_fatigue(team=team, since=period.start, until=period.end)
        return Response(fatigue_answer(team, period, found))
