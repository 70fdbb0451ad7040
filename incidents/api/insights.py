"""/api/v1/insights/: MTTA and MTTR, incidents and pages by week, pages by hour and by
interruption, acknowledgements by channel and the noisiest alerts, for a team, service or person
and a period (incidents.insights)."""

from __future__ import annotations

from datetime import UTC, datetime

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from incidents.insights.asked import period_asked, scope_asked, zone_asked
from incidents.insights.queries import Insights, insights_of
from oncall import clock
from oncall.api.access import VIEWER, teams_with
from oncall.api.fields import AwareDateTimeField, PersonRefSerializer, RefSerializer, person_ref

EARLIEST, LATEST = datetime(1970, 1, 1, tzinfo=UTC), datetime(9000, 1, 1, tzinfo=UTC)
BIGGEST_ID = 10**18


class InsightsQuery(serializers.Serializer):
    team = serializers.IntegerField(
        required=False, min_value=1, max_value=BIGGEST_ID, help_text="Only this team's services."
    )
    service = serializers.IntegerField(
        required=False, min_value=1, max_value=BIGGEST_ID, help_text="Only this service."
    )
    person = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=BIGGEST_ID,
        help_text="Only the incidents that paged this person, and only their pages.",
    )
    since = AwareDateTimeField(required=False, help_text="From this instant (30 days ago).")
    until = AwareDateTimeField(required=False, help_text="Up to this instant (now).")
    tz = serializers.CharField(
        required=False,
        max_length=64,
        help_text="The time zone of weeks and hours, e.g. Europe/Lisbon (your profile's).",
    )

    def validate(self, attrs):
        for name in ("since", "until"):
            if name in attrs and not EARLIEST <= attrs[name] < LATEST:
                raise serializers.ValidationError(
                    {name: ["Give an instant between 1970 and 9000."]}
                )
        return attrs


class SummarySerializer(serializers.Serializer):
    median = serializers.FloatField(allow_null=True, help_text="Seconds; null without any.")
    p90 = serializers.FloatField(allow_null=True, help_text="Seconds; null without any.")
    count = serializers.IntegerField()


class WeekSerializer(serializers.Serializer):
    week = serializers.DateField(help_text="The week's Monday, in the zone asked.")
    incidents = serializers.IntegerField()
    pages = serializers.IntegerField()


class HourSerializer(serializers.Serializer):
    hour = serializers.IntegerField(help_text="0 to 23, in the zone asked.")
    pages = serializers.IntegerField()


class NoisySerializer(serializers.Serializer):
    alert_name = serializers.CharField(help_text="The alertname label, else the title.")
    incidents = serializers.IntegerField()
    alerts = serializers.IntegerField(help_text="Alerts received in the period.")
    quiet_resolved = serializers.IntegerField(
        help_text="Incidents resolved by monitoring within 5 minutes, never acknowledged."
    )


class InsightsSerializer(serializers.Serializer):
    """Documents the shape only: answers are built by insights_answer()."""

    teams = RefSerializer(many=True)
    service = RefSerializer(allow_null=True)
    person = PersonRefSerializer(allow_null=True)
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    tz = serializers.CharField()
    mtta_seconds = SummarySerializer(help_text="From opened to acknowledged.")
    mttr_seconds = SummarySerializer(help_text="From opened to resolved.")
    acknowledgements_by_channel = serializers.DictField(child=serializers.IntegerField())
    incidents_by_week = WeekSerializer(many=True)
    pages_by_hour = HourSerializer(many=True)
    pages_by_interruption = serializers.DictField(
        child=serializers.IntegerField(), help_text="sleep, off and business hours."
    )
    noisy_alerts = NoisySerializer(many=True)


def insights_answer(asked, found: Insights) -> dict:
    """Return the insights in the API's shape."""
    return {
        "teams": [{"id": team.pk, "name": team.name} for team in asked.teams],
        "service": asked.service and {"id": asked.service.pk, "name": asked.service.name},
        "person": person_ref(asked.person),
        "since": found.since.astimezone(found.zone).isoformat(),
        "until": found.until.astimezone(found.zone).isoformat(),
        "tz": str(found.zone),
        "mtta_seconds": found.mtta.as_dict(),
        "mttr_seconds": found.mttr.as_dict(),
        "acknowledgements_by_channel": found.acknowledgements,
        "incidents_by_week": [
            {"week": week.isoformat(), "incidents": incidents, "pages": pages}
            for week, incidents, pages in found.weeks
        ],
        "pages_by_hour": [{"hour": hour, "pages": n} for hour, n in enumerate(found.hours)],
        "pages_by_interruption": found.interruptions,
        "noisy_alerts": [
            {
                "alert_name": noisy.alert_name,
                "incidents": noisy.incidents,
                "alerts": noisy.alerts,
                "quiet_resolved": noisy.quiet,
            }
            for noisy in found.noisy
        ],
    }


class InsightsView(APIView):
    """How fast your teams acknowledge and resolve, when and how often they are paged, and
    which alerts are noise, for a team, service or person over a period."""

    @extend_schema(
        summary="Insights",
        parameters=[InsightsQuery],
        responses={200: InsightsSerializer},
    )
    def get(self, request):
        query = InsightsQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        asked_for = query.validated_data
        asked = scope_asked(
            team_ids=teams_with(request, VIEWER),
            team=asked_for.get("team"),
            service=asked_for.get("service"),
            person=asked_for.get("person"),
        )
        zone = zone_asked(asked_for.get("tz"), person=getattr(request.user, "person", None))
        since, until = period_asked(asked_for.get("since"), asked_for.get("until"), now=clock.now())
        found = insights_of(scope=asked.scope, since=since, until=until, zone=zone)
        return Response(insights_answer(asked, found))
