"""/api/v1/rehearsals/: rehearsals of the paging path, for `manage.py rehearse` (superusers).

The command starts one (its twin service and ingest endpoints come back, tokens shown once),
drives alerts into the endpoints, reads progress and raw measurements here, then finishes it
with its report and removes its incidents."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from incidents.models import Rehearsal
from incidents.rehearsals.selectors import rehearsal_records
from incidents.rehearsals.services import (
    RehearsalBusy,
    rehearsal_finish,
    rehearsal_remove,
    rehearsal_start,
)
from oncall import clock
from oncall.api.access import require_superuser
from oncall.api.errors import Conflict
from oncall.api.fields import ApiModelSerializer
from oncall.api.schema import error_answer

NOT_SUPERUSER = "Only a superuser may rehearse."
BUSY = "A rehearsal of edge is still running."
NOT_SUPERUSER_ANSWER = {403: error_answer(403, "permission_denied", NOT_SUPERUSER)}


class RehearsalSerializer(ApiModelSerializer):
    """A rehearsal, as listed: what was asked, and how it ended."""

    service = serializers.SlugRelatedField(
        slug_field="name", read_only=True, help_text="The rehearsal twin's name."
    )
    rehearsal_of = serializers.SerializerMethodField(help_text="The real service rehearsed.")

    class Meta:
        model = Rehearsal
        fields = [
            "id",
            "service",
            "rehearsal_of",
            "shape",
            "alerts",
            "rate",
            "follow",
            "thresholds",
            "started_at",
            "finished_at",
            "passed",
            "removed_at",
            "report",
        ]
        read_only_fields = fields

    def get_rehearsal_of(self, rehearsal) -> str:
        return rehearsal.service.rehearsal_of.name if rehearsal.service.rehearsal_of else ""


class RehearsalDetailSerializer(RehearsalSerializer):
    """A rehearsal with what the server recorded of it so far."""

    progress = serializers.SerializerMethodField(
        help_text="alerts, incidents, incidents_settled (every page of its first step, of every "
        "fired step with follow, sent/delivered/failed/cancelled), pages, pages_open."
    )
    records = serializers.SerializerMethodField(
        help_text="Raw measurements in seconds: alert_to_incident, incident_to_first_page, "
        "alert_to_first_page, alert_to_last_first_step_page, steps {step: [...]}, "
        "escalation_lateness; alerts_per_second {iso second: n}, pages_by_kind, pages_failed, "
        "real_channel_sends (must be 0)."
    )

    class Meta(RehearsalSerializer.Meta):
        fields = [*RehearsalSerializer.Meta.fields, "progress", "records"]
        read_only_fields = fields

    def _read(self, rehearsal) -> dict:
        cached = getattr(rehearsal, "_read", None)
        if cached is None:
            cached = rehearsal._read = rehearsal_records(rehearsal)
        return cached

    def get_progress(self, rehearsal) -> dict:
        return self._read(rehearsal)["progress"]

    def get_records(self, rehearsal) -> dict:
        return self._read(rehearsal)["records"]


class RehearsalStartedSerializer(RehearsalSerializer):
    ingest = serializers.DictField(
        child=serializers.CharField(),
        help_text="alertmanager and webhook paths (with their tokens), the pagerduty path and "
        "its routing_key: shown once, deleted when the rehearsal finishes.",
    )

    class Meta(RehearsalSerializer.Meta):
        fields = [
            "id",
            "service",
            "rehearsal_of",
            "shape",
            "alerts",
            "rate",
            "follow",
            "thresholds",
            "started_at",
            "ingest",
        ]
        read_only_fields = fields


class RehearsalStartSerializer(serializers.Serializer):
    service = serializers.CharField(
        required=False,
        help_text="The real service's name; default: the first (by name) with a policy.",
    )
    alerts = serializers.IntegerField(min_value=1, help_text="How many alerts will be sent.")
    rate = serializers.IntegerField(min_value=1, help_text="Alerts a second asked for.")
    shape = serializers.ChoiceField(choices=Rehearsal.Shape.choices, required=False)
    follow = serializers.BooleanField(required=False)
    thresholds = serializers.DictField(child=serializers.FloatField(), required=False)


class RehearsalFinishSerializer(serializers.Serializer):
    finished = serializers.BooleanField(help_text="true: finish it (cannot be undone).")
    report = serializers.DictField(required=False, help_text="What the command measured.")
    passed = serializers.BooleanField(required=False, allow_null=True)


def _body(request) -> dict:
    if not isinstance(request.data, dict):
        raise exceptions.ValidationError("Give a JSON object.")
    return request.data


@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("service", str, description="The real service's name.")],
        responses={200: RehearsalSerializer(many=True), **NOT_SUPERUSER_ANSWER},
    ),
    retrieve=extend_schema(
        summary="One rehearsal",
        description="A rehearsal, with its progress and the raw measurements recorded so far.",
        responses={200: RehearsalDetailSerializer, **NOT_SUPERUSER_ANSWER},
    ),
)
class RehearsalViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Rehearsals, newest first; `?service=<real service name>` keeps that service's."""

    queryset = Rehearsal.objects.select_related("service__rehearsal_of")
    serializer_class = RehearsalSerializer
    lookup_value_regex = r"[0-9]{1,18}"
    filter_backends = []
    http_method_names = ["get", "post", "patch", "head", "options"]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        require_superuser(request, "rehearse")

    def get_queryset(self):
        queryset = super().get_queryset()
        service = self.request.query_params.get("service")
        if service:
            queryset = queryset.filter(service__rehearsal_of__name=service)
        return queryset

    def get_serializer_class(self):
        return RehearsalDetailSerializer if self.action != "list" else RehearsalSerializer

    @extend_schema(
        request=RehearsalStartSerializer,
        responses={201: RehearsalStartedSerializer, 409: error_answer(409, "conflict", BUSY)},
    )
    def create(self, request, *args, **kwargs):
        """Start a rehearsal: its twin service, brought in step with the real one, and fresh
        ingest endpoints. 409 while another rehearsal of the service runs (under an hour)."""
        body = _body(request)
        try:
            started = rehearsal_start(
                service=body.get("service"),
                alerts=body.get("alerts"),
                rate=body.get("rate"),
                shape=body.get("shape", Rehearsal.Shape.STEADY),
                follow=body.get("follow", False),
                thresholds=body.get("thresholds", {}),
                by=request.user,
                now=clock.now(),
            )
        except RehearsalBusy as error:
            raise Conflict(str(error)) from None
        started.rehearsal.ingest = started.ingest
        data = RehearsalStartedSerializer(started.rehearsal).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RehearsalFinishSerializer, responses={200: RehearsalDetailSerializer})
    def partial_update(self, request, *args, **kwargs):
        """Finish the rehearsal: resolve its open incidents, keep its report and verdict, delete
        its ingest endpoints."""
        rehearsal = self.get_object()
        body = _body(request)
        if body.get("finished") is not True:
            raise exceptions.ValidationError({"finished": ["Give true: it only finishes."]})
        finished = rehearsal_finish(
            rehearsal=rehearsal,
            report=body.get("report"),
            passed=body.get("passed"),
            now=clock.now(),
        )
        return Response(RehearsalDetailSerializer(self._again(finished)).data)

    @extend_schema(request=None, responses={200: RehearsalDetailSerializer})
    @action(detail=True, methods=["post"])
    def remove(self, request, *args, **kwargs):
        """Delete the rehearsal's incidents and what its channel recorded (finishing it first
        if it runs); the second time changes nothing."""
        removed = rehearsal_remove(rehearsal=self.get_object(), now=clock.now())
        return Response(RehearsalDetailSerializer(self._again(removed)).data)

    def _again(self, rehearsal: Rehearsal) -> Rehearsal:
        return self.get_queryset().get(pk=rehearsal.pk)
