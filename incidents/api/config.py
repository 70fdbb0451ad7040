"""/api/v1/services/, maintenance-windows/, integrations/, escalation-policies/: what the team
runs and how it is paged, read-only (written in part 2). An integration's token never appears."""

from __future__ import annotations

import django_filters
from rest_framework import serializers

from incidents.models import (
    EscalationPolicy,
    EscalationStep,
    EscalationTarget,
    Integration,
    MaintenanceWindow,
    Service,
)
from oncall.api.base import TeamScopedReadOnlyViewSet
from oncall.api.fields import (
    ApiModelSerializer,
    AwareDateTimeFilter,
    PersonRefSerializer,
    RefSerializer,
    id_filter,
)


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
        ]
        read_only_fields = fields


class TeamFilter(django_filters.FilterSet):
    team = id_filter("team_id", "A team")


class ServiceFilter(TeamFilter):
    class Meta:
        model = Service
        fields = ["team"]


class ServiceViewSet(TeamScopedReadOnlyViewSet):
    """The services your teams run and are paged for."""

    queryset = Service.objects.select_related("team", "escalation_policy")
    serializer_class = ServiceSerializer
    filterset_class = ServiceFilter
    ordering_fields = ["id", "name"]


class MaintenanceWindowSerializer(ApiModelSerializer):
    name = serializers.SerializerMethodField(help_text="Its reason, or its service and start.")

    class Meta:
        model = MaintenanceWindow
        fields = ["id", "name", "service", "start", "end", "reason"]
        read_only_fields = fields

    def get_name(self, window) -> str:
        return window.reason or f"{window.service.name} from {window.start.isoformat()}"


class MaintenanceWindowFilter(django_filters.FilterSet):
    service = id_filter("service_id", "A service")
    since = AwareDateTimeFilter(field_name="end", lookup_expr="gt", help_text="Ending after.")
    until = AwareDateTimeFilter(field_name="start", lookup_expr="lt", help_text="Starting before.")

    class Meta:
        model = MaintenanceWindow
        fields = ["service", "since", "until"]


class MaintenanceWindowViewSet(TeamScopedReadOnlyViewSet):
    """Windows in which a service's incidents are opened but nobody is paged."""

    queryset = MaintenanceWindow.objects.select_related("service")
    serializer_class = MaintenanceWindowSerializer
    filterset_class = MaintenanceWindowFilter
    team_path = "service__team"
    ordering_fields = ["id", "start"]


class IntegrationSerializer(ApiModelSerializer):
    """An integration; its token was shown once when it was made and is never shown again."""

    name = serializers.SerializerMethodField(help_text="Its name, or its kind.")

    class Meta:
        model = Integration
        fields = [
            "id",
            "name",
            "service",
            "kind",
            "rate_limit_per_second",
            "heartbeat_interval_seconds",
            "last_seen_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_name(self, integration) -> str:
        return integration.name or integration.get_kind_display()


class IntegrationFilter(django_filters.FilterSet):
    service = id_filter("service_id", "A service")

    class Meta:
        model = Integration
        fields = ["service", "kind"]


class IntegrationViewSet(TeamScopedReadOnlyViewSet):
    """How monitoring reaches your teams' services (without the tokens)."""

    queryset = Integration.objects.select_related("service")
    serializer_class = IntegrationSerializer
    filterset_class = IntegrationFilter
    team_path = "service__team"
    ordering_fields = ["id"]


class TargetSerializer(ApiModelSerializer):
    person = PersonRefSerializer(read_only=True, allow_null=True)
    schedule = RefSerializer(read_only=True, allow_null=True)
    team = RefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = EscalationTarget
        fields = ["kind", "person", "schedule", "team"]
        read_only_fields = fields


class StepSerializer(ApiModelSerializer):
    targets = TargetSerializer(many=True, read_only=True)

    class Meta:
        model = EscalationStep
        fields = ["position", "escalate_after_minutes", "targets"]
        read_only_fields = fields


class EscalationPolicySerializer(ApiModelSerializer):
    team = RefSerializer(read_only=True)
    steps = StepSerializer(many=True, read_only=True, help_text="In order, first at once.")

    class Meta:
        model = EscalationPolicy
        fields = ["id", "name", "team", "repeat", "description", "steps"]
        read_only_fields = fields


class EscalationPolicyFilter(TeamFilter):
    class Meta:
        model = EscalationPolicy
        fields = ["team"]


class EscalationPolicyViewSet(TeamScopedReadOnlyViewSet):
    """Who is paged for an incident, in which order, and how often it is repeated."""

    queryset = EscalationPolicy.objects.select_related("team").prefetch_related(
        "steps__targets__person", "steps__targets__schedule", "steps__targets__team"
    )
    serializer_class = EscalationPolicySerializer
    filterset_class = EscalationPolicyFilter
    ordering_fields = ["id", "name"]
