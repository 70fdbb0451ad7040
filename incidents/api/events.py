"""/api/v1/events/: big events on a team's calendar, their readiness checklist, and their test
pages. Team members read them; team admins (and superusers) write them and send test pages."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from incidents.api.writes import TeamAdminViewSet, TeamRef
from incidents.big_events.selectors import event_checklist
from incidents.big_events.services import (
    event_create,
    event_delete,
    event_update,
    test_pages_send,
)
from incidents.models import Event, Service
from incidents.models.choices import Source
from incidents.services.service_admin import MAX_ACK_TIMEOUT_MINUTES
from oncall import clock
from oncall.api.fields import (
    ApiModelSerializer,
    AwareDateTimeField,
    AwareDateTimeFilter,
    PersonRefSerializer,
    RefSerializer,
    id_filter,
)
from oncall.models import Person, Schedule, Team


class EventSerializer(ApiModelSerializer):
    team = RefSerializer(read_only=True)
    services = RefSerializer(many=True, read_only=True)
    extra_people = PersonRefSerializer(many=True, read_only=True)
    extra_schedules = RefSerializer(many=True, read_only=True)

    class Meta:
        model = Event
        fields = [
            "id",
            "name",
            "description",
            "team",
            "starts_at",
            "ends_at",
            "services",
            "extra_people",
            "extra_schedules",
            "ack_timeout_minutes",
            "created_at",
        ]
        read_only_fields = fields


class EventWriteSerializer(serializers.Serializer):
    """An event. Left out of a PATCH: unchanged."""

    team = TeamRef(queryset=Team.objects.all(), what="team", team_path="pk")
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(allow_blank=True, default="")
    starts_at = AwareDateTimeField(help_text="With its offset.")
    ends_at = AwareDateTimeField(help_text="After starts_at.")
    services = TeamRef(
        queryset=Service.objects.filter(archived_at__isnull=True),
        what="service",
        many=True,
        default=list,
        help_text="Services of the event's team: their incidents page the extra responders.",
    )
    extra_people = TeamRef(
        queryset=Person.objects.all(),
        what="person",
        team_path="memberships__team",
        many=True,
        default=list,
        help_text="Members of the team paged with the first step during the event.",
    )
    extra_schedules = TeamRef(
        queryset=Schedule.objects.all(),
        what="schedule",
        many=True,
        default=list,
        help_text="Schedules of the team whose on-call is paged with the first step.",
    )
    ack_timeout_minutes = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ACK_TIMEOUT_MINUTES,
        allow_null=True,
        default=None,
        help_text="During the event, trigger an acknowledged incident again after this long.",
    )

    def validate(self, attrs):
        instance = self.context.get("instance")
        starts = attrs.get("starts_at", instance.starts_at if instance else None)
        ends = attrs.get("ends_at", instance.ends_at if instance else None)
        if starts and ends and ends <= starts:
            raise serializers.ValidationError({"ends_at": "The event must end after it starts."})
        return attrs


class TestPagesRequestSerializer(serializers.Serializer):
    people = TeamRef(
        queryset=Person.objects.all(),
        what="person",
        team_path="memberships__team",
        many=True,
        required=False,
        help_text="Only these people (left out: everyone on call during the event).",
    )


class TestPageSerializer(serializers.Serializer):
    person = PersonRefSerializer()
    incident = serializers.IntegerField(source="incident_id", help_text="The test incident.")
    sent_at = serializers.DateTimeField()


class TestPagesSerializer(serializers.Serializer):
    sent = TestPageSerializer(many=True)
    skipped = serializers.ListField(
        child=serializers.CharField(),
        help_text="On call, but with no verified contact method for high urgency.",
    )


class CheckSerializer(serializers.Serializer):
    name = serializers.CharField()
    passed = serializers.BooleanField()
    detail = serializers.CharField()


class ChecklistRowSerializer(serializers.Serializer):
    person = serializers.SerializerMethodField()
    verified_methods = serializers.ListField(child=serializers.CharField())
    sent_at = serializers.DateTimeField(allow_null=True)
    confirmed_at = serializers.DateTimeField(allow_null=True)
    via = serializers.CharField(help_text="How the test page was acknowledged.")
    seconds = serializers.IntegerField(allow_null=True, help_text="From sent to confirmed.")
    ready = serializers.BooleanField()
    missing = serializers.CharField()

    def get_person(self, row) -> dict:
        return {"id": row.person_id, "name": row.name}


class GapSerializer(serializers.Serializer):
    schedule = serializers.CharField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class ChecklistSerializer(serializers.Serializer):
    passed = serializers.BooleanField()
    summary = serializers.CharField()
    checks = CheckSerializer(many=True)
    people = ChecklistRowSerializer(many=True, source="rows")
    gaps = GapSerializer(many=True)


class EventFilter(django_filters.FilterSet):
    team = id_filter("team_id", "A team")
    since = AwareDateTimeFilter(field_name="ends_at", lookup_expr="gt", help_text="Ending after.")
    until = AwareDateTimeFilter(
        field_name="starts_at", lookup_expr="lt", help_text="Starting before."
    )

    class Meta:
        model = Event
        fields = ["team", "since", "until"]


class EventViewSet(TeamAdminViewSet):
    """Big events on your teams' calendars: extra responders, a shorter acknowledgement
    timeout, and a readiness checklist."""

    queryset = Event.objects.select_related("team").prefetch_related(
        "services", "extra_people", "extra_schedules"
    )
    serializer_class = EventSerializer
    filterset_class = EventFilter
    ordering_fields = ["id", "starts_at"]
    body_class = EventWriteSerializer
    admin_what = "change its events"

    @extend_schema(request=EventWriteSerializer, responses={201: EventSerializer})
    def create(self, request, *args, **kwargs):
        """Put an event on your team's calendar (team admins)."""
        body = self.body()
        self.require_admin(body["team"].pk)
        event = event_create(**body, now=clock.now(), by=request.user)
        return self.answer(event, status.HTTP_201_CREATED)

    @extend_schema(request=EventWriteSerializer, responses={200: EventSerializer})
    def update(self, request, *args, **kwargs):
        """Replace an event; it stays in its team (team admins)."""
        return self._update(partial=False)

    @extend_schema(request=EventWriteSerializer, responses={200: EventSerializer})
    def partial_update(self, request, *args, **kwargs):
        """Change some of an event's fields; it stays in its team (team admins)."""
        return self._update(partial=True)

    def _update(self, *, partial: bool) -> Response:
        event = self.admin_object()
        body = self.body(partial=partial, instance=event)
        body.pop("team", None)  # an event stays in its team
        return self.answer(event_update(event=event, changes=body))

    @extend_schema(responses={204: None})
    def destroy(self, request, *args, **kwargs):
        """Take an event off the calendar (team admins)."""
        event_delete(event=self.admin_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={200: ChecklistSerializer})
    @action(detail=True, methods=["get"], filter_backends=[])
    def checklist(self, request, pk=None):
        """Whether the team is ready for the event: a rehearsal, everyone on call confirmed by
        a test page, no schedule gap."""
        checklist = event_checklist(event=self.get_object(), now=clock.now())
        return Response(ChecklistSerializer(checklist).data)

    @extend_schema(request=TestPagesRequestSerializer, responses={201: TestPagesSerializer})
    @action(detail=True, methods=["post"], url_path="test-pages", filter_backends=[])
    def test_pages(self, request, pk=None):
        """Send everyone on call during the event a test page (team admins); acknowledging it
        confirms them in the checklist."""
        event = self.admin_object()
        people = self.body(body_class=TestPagesRequestSerializer).get("people")
        sent = test_pages_send(
            event=event, people=people, by=request.user, now=clock.now(), source=Source.API
        )
        return Response(TestPagesSerializer(sent).data, status=status.HTTP_201_CREATED)
