"""/api/v1/services/ and maintenance-windows/: what the team runs, and when it is not paged for
it. Team admins write them; a service that incidents name is archived rather than deleted."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from incidents.api.writes import TeamAdminViewSet, TeamRef
from incidents.models import EscalationPolicy, MaintenanceWindow, Service
from incidents.services.service_admin import (
    MAX_ACK_TIMEOUT_MINUTES,
    MAX_AUTO_RESOLVE_MINUTES,
    ServiceConflict,
    maintenance_window_create,
    maintenance_window_delete,
    maintenance_window_update,
    service_create,
    service_delete,
    service_update,
)
from oncall import clock
from oncall.api.errors import Conflict
from oncall.api.fields import (
    ApiModelSerializer,
    AwareDateTimeField,
    AwareDateTimeFilter,
    RefSerializer,
    id_filter,
)
from oncall.api.schema import ERRORS
from oncall.models import Team


class ServiceSerializer(ApiModelSerializer):
    team = RefSerializer(read_only=True)
    escalation_policy = RefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Service
        fields = [
            "id",
            "name",
            "description",
            "team",
            "escalation_policy",
            "urgency_rule",
            "ack_timeout_minutes",
            "auto_resolve_minutes",
            "slack_channel",
            "archived_at",
        ]
        read_only_fields = fields
        extra_kwargs = {"archived_at": {"help_text": "null: in service. Else archived then."}}


class ServiceWriteSerializer(serializers.Serializer):
    """A service's settings. Left out of a PUT: the default; of a PATCH: unchanged."""

    team = TeamRef(queryset=Team.objects.all(), what="team", team_path="pk")
    name = serializers.CharField(max_length=100, help_text="A unique slug, e.g. playback.")
    description = serializers.CharField(max_length=200, allow_blank=True, default="")
    escalation_policy = TeamRef(
        queryset=EscalationPolicy.objects.all(),
        what="escalation policy",
        allow_null=True,
        default=None,
        help_text="One of the team's policies (null: nobody is paged).",
    )
    urgency_rule = serializers.ChoiceField(
        choices=Service.UrgencyRule.choices, default=Service.UrgencyRule.SEVERITY
    )
    ack_timeout_minutes = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ACK_TIMEOUT_MINUTES,
        allow_null=True,
        default=None,
        help_text="Trigger an acknowledged incident again after this long (null: never).",
    )
    auto_resolve_minutes = serializers.IntegerField(
        min_value=1,
        max_value=MAX_AUTO_RESOLVE_MINUTES,
        allow_null=True,
        default=None,
        help_text="Resolve an incident nobody resolved after this long (null: never).",
    )
    slack_channel = serializers.CharField(
        max_length=32, allow_blank=True, default="", help_text="A Slack channel id: C0123ABCD."
    )


class TeamFilter(django_filters.FilterSet):
    team = id_filter("team_id", "A team")


class ServiceFilter(TeamFilter):
    archived = django_filters.BooleanFilter(
        field_name="archived_at",
        lookup_expr="isnull",
        exclude=True,
        help_text="true: the archived services only (left out, they are not listed).",
    )

    class Meta:
        model = Service
        fields = ["team", "archived"]


def _conflict(error: ServiceConflict) -> Conflict:
    return Conflict(error.message)


class ServiceViewSet(TeamAdminViewSet):
    """The services your teams run and are paged for."""

    queryset = Service.objects.select_related("team", "escalation_policy")
    serializer_class = ServiceSerializer
    filterset_class = ServiceFilter
    ordering_fields = ["id", "name"]
    body_class = ServiceWriteSerializer
    admin_what = "change its services"

    def get_queryset(self):
        services = super().get_queryset()
        if self.action == "list" and "archived" not in self.request.query_params:
            services = services.filter(archived_at__isnull=True)
        return services

    @extend_schema(request=ServiceWriteSerializer, responses={201: ServiceSerializer})
    def create(self, request, *args, **kwargs):
        """Create a service of your team, paged through one of its escalation policies.

        Needs the admin role in the team (and an admin token).
        """
        body = self.body()
        self.require_admin(body["team"].pk)
        return self.answer(service_create(**body), status.HTTP_201_CREATED)

    @extend_schema(
        request=ServiceWriteSerializer, responses={200: ServiceSerializer, 409: ERRORS[409]}
    )
    def update(self, request, *args, **kwargs):
        """Replace a service's settings; it stays in its team (team admins)."""
        return self._update(partial=False)

    @extend_schema(
        request=ServiceWriteSerializer, responses={200: ServiceSerializer, 409: ERRORS[409]}
    )
    def partial_update(self, request, *args, **kwargs):
        """Change some of a service's settings; it stays in its team (team admins)."""
        return self._update(partial=True)

    def _update(self, *, partial: bool) -> Response:
        service = self.admin_object()
        body = self.body(partial=partial, instance=service)
        try:
            return self.answer(service_update(service=service, changes=body))
        except ServiceConflict as error:
            raise _conflict(error) from error

    @extend_schema(responses={204: None, 409: ERRORS[409]})
    def destroy(self, request, *args, **kwargs):
        """Delete a service, or archive it if incidents name it (team admins).

        An archived service keeps its incidents, loses its integrations (their tokens stop at
        once) and its policy, takes no new incident, and is listed only with `?archived=true`.
        A service with open incidents is refused (409): resolve them first.
        """
        service = self.admin_object()
        try:
            service_delete(service=service, now=clock.now())
        except ServiceConflict as error:
            raise _conflict(error) from error
        return Response(status=status.HTTP_204_NO_CONTENT)


class MaintenanceWindowSerializer(ApiModelSerializer):
    name = serializers.SerializerMethodField(help_text="Its reason, or its service and start.")

    class Meta:
        model = MaintenanceWindow
        fields = ["id", "name", "service", "start", "end", "reason"]
        read_only_fields = fields

    def get_name(self, window) -> str:
        return window.reason or f"{window.service.name} from {window.start.isoformat()}"


class MaintenanceWindowWriteSerializer(serializers.Serializer):
    service = TeamRef(queryset=Service.objects.all(), what="service")
    start = AwareDateTimeField(help_text="With its offset.")
    end = AwareDateTimeField(help_text="After start.")
    reason = serializers.CharField(max_length=200, allow_blank=True, default="")


class MaintenanceWindowFilter(django_filters.FilterSet):
    service = id_filter("service_id", "A service")
    since = AwareDateTimeFilter(field_name="end", lookup_expr="gt", help_text="Ending after.")
    until = AwareDateTimeFilter(field_name="start", lookup_expr="lt", help_text="Starting before.")

    class Meta:
        model = MaintenanceWindow
        fields = ["service", "since", "until"]


class MaintenanceWindowViewSet(TeamAdminViewSet):
    """Windows in which a service's incidents are opened but nobody is paged."""

    queryset = MaintenanceWindow.objects.select_related("service")
    serializer_class = MaintenanceWindowSerializer
    filterset_class = MaintenanceWindowFilter
    team_path = "service__team"
    ordering_fields = ["id", "start"]
    body_class = MaintenanceWindowWriteSerializer
    admin_what = "change its maintenance windows"

    def team_id_of(self, obj) -> int:
        return obj.service.team_id

    @extend_schema(
        request=MaintenanceWindowWriteSerializer, responses={201: MaintenanceWindowSerializer}
    )
    def create(self, request, *args, **kwargs):
        """Open a maintenance window on a service: incidents are recorded, nobody is paged.

        Needs the admin role in the service's team (and an admin token).
        """
        body = self.body()
        self.require_admin(body["service"].team_id)
        window = maintenance_window_create(**body, by=request.user)
        return self.answer(window, status.HTTP_201_CREATED)

    @extend_schema(
        request=MaintenanceWindowWriteSerializer, responses={200: MaintenanceWindowSerializer}
    )
    def update(self, request, *args, **kwargs):
        """Replace a maintenance window (team admins)."""
        return self._update(partial=False)

    @extend_schema(
        request=MaintenanceWindowWriteSerializer, responses={200: MaintenanceWindowSerializer}
    )
    def partial_update(self, request, *args, **kwargs):
        """Change a maintenance window: move it, end it sooner or later (team admins).

        Incidents it held are paged for at once if it no longer covers them.
        """
        return self._update(partial=True)

    def _update(self, *, partial: bool) -> Response:
        window = self.admin_object()
        body = self.body(partial=partial, instance=window)
        changed = maintenance_window_update(window=window, changes=body, now=clock.now())
        return self.answer(changed)

    @extend_schema(responses={204: None})
    def destroy(self, request, *args, **kwargs):
        """Delete a maintenance window; incidents it held are paged for at once (team admins)."""
        window = self.admin_object()
        maintenance_window_delete(window=window, now=clock.now())
        return Response(status=status.HTTP_204_NO_CONTENT)
