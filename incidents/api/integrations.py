"""/api/v1/integrations/: how monitoring reaches a service. Made, changed, deleted and rotated
by team admins; a token is shown once, in the answer that made it, and never again."""

from __future__ import annotations

from datetime import timedelta

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from incidents.api.writes import TeamAdminViewSet, TeamRef
from incidents.models import Integration, Service
from incidents.services.integrations import (
    HEARTBEAT_MAX_INTERVAL_SECONDS,
    HEARTBEAT_MIN_INTERVAL_SECONDS,
    RATE_LIMIT_MAX,
    ROTATE_GRACE_DEFAULT,
    ROTATE_GRACE_MAX,
    integration_create,
    integration_delete,
    integration_rotate,
    integration_update,
    integration_url,
)
from oncall import clock
from oncall.api.fields import ApiModelSerializer, id_filter


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
            "previous_valid_until",
            "created_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "previous_valid_until": {
                "help_text": "Until when the token before the last "
                "rotation still works (null: it does not)."
            }
        }

    def get_name(self, integration) -> str:
        return integration.name or integration.get_kind_display()


class IntegrationTokenSerializer(IntegrationSerializer):
    """An integration with its token and URL: in the answer that made the token, only."""

    url = serializers.SerializerMethodField(
        help_text="Where monitoring sends to (for pagerduty: /v2/enqueue, the token as "
        "routing_key)."
    )
    token = serializers.SerializerMethodField(help_text="Shown this once: keep it now.")

    class Meta(IntegrationSerializer.Meta):
        fields = [*IntegrationSerializer.Meta.fields, "url", "token"]
        read_only_fields = fields

    def get_url(self, integration) -> str:
        return integration_url(integration, self.context["token"])

    def get_token(self, integration) -> str:
        return self.context["token"]


class IntegrationWriteSerializer(serializers.Serializer):
    service = TeamRef(queryset=Service.objects.all(), what="service")
    kind = serializers.ChoiceField(choices=Integration.Kind.choices)
    name = serializers.CharField(max_length=100, allow_blank=True, default="")
    heartbeat_interval_seconds = serializers.IntegerField(
        min_value=HEARTBEAT_MIN_INTERVAL_SECONDS,
        max_value=HEARTBEAT_MAX_INTERVAL_SECONDS,
        required=False,
        allow_null=True,
        help_text="Heartbeats only: open an incident when no ping comes this long (300).",
    )
    rate_limit_per_second = serializers.IntegerField(
        min_value=1, max_value=RATE_LIMIT_MAX, required=False, help_text="429 above it (5000)."
    )


class IntegrationChangeSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, allow_blank=True, required=False)
    heartbeat_interval_seconds = serializers.IntegerField(
        min_value=HEARTBEAT_MIN_INTERVAL_SECONDS,
        max_value=HEARTBEAT_MAX_INTERVAL_SECONDS,
        required=False,
        help_text="Heartbeats only; counted from the last ping.",
    )
    rate_limit_per_second = serializers.IntegerField(
        min_value=1, max_value=RATE_LIMIT_MAX, required=False
    )


class RotateSerializer(serializers.Serializer):
    grace_seconds = serializers.IntegerField(
        min_value=0,
        max_value=int(ROTATE_GRACE_MAX.total_seconds()),
        default=int(ROTATE_GRACE_DEFAULT.total_seconds()),
        help_text="How long the old token keeps working (0: it stops at once; default a day).",
    )


class IntegrationFilter(django_filters.FilterSet):
    service = id_filter("service_id", "A service")

    class Meta:
        model = Integration
        fields = ["service", "kind"]


class IntegrationViewSet(TeamAdminViewSet):
    """How monitoring reaches your teams' services (without the tokens)."""

    queryset = Integration.objects.select_related("service")
    serializer_class = IntegrationSerializer
    filterset_class = IntegrationFilter
    team_path = "service__team"
    ordering_fields = ["id"]
    body_class = IntegrationWriteSerializer
    admin_what = "change its integrations"

    def team_id_of(self, obj) -> int:
        return obj.service.team_id

    def _with_token(self, integration: Integration, token: str, status_code: int) -> Response:
        shown = self.get_queryset().get(pk=integration.pk)
        answer = IntegrationTokenSerializer(shown, context={"token": token})
        return Response(answer.data, status=status_code)

    @extend_schema(request=IntegrationWriteSerializer, responses={201: IntegrationTokenSerializer})
    def create(self, request, *args, **kwargs):
        """Create an integration of a service: its URL and token are in this answer only.

        Needs the admin role in the service's team (and an admin token). A heartbeat without
        an interval gets 300 seconds.
        """
        body = self.body()
        self.require_admin(body["service"].team_id)
        integration, token = integration_create(**body, now=clock.now())
        return self._with_token(integration, token, status.HTTP_201_CREATED)

    @extend_schema(request=IntegrationChangeSerializer, responses={200: IntegrationSerializer})
    def partial_update(self, request, *args, **kwargs):
        """Change an integration's name, rate limit or heartbeat interval (team admins)."""
        integration = self.admin_object()
        body = self.body(partial=True, body_class=IntegrationChangeSerializer)
        changed = integration_update(integration=integration, changes=body, now=clock.now())
        return self.answer(changed)

    @extend_schema(responses={204: None})
    def destroy(self, request, *args, **kwargs):
        """Delete an integration: its tokens stop working (team admins)."""
        integration_delete(integration=self.admin_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=RotateSerializer, responses={200: IntegrationTokenSerializer})
    @action(detail=True, methods=["post"], filter_backends=[])
    def rotate(self, request, pk=None):
        """Give an integration a new token, shown in this answer only (team admins).

        The old token keeps working for `grace_seconds` (a day unless told; 0 stops it at
        once), so monitoring can be moved over without losing an alert.
        """
        integration = self.admin_object()
        grace = timedelta(seconds=self.body(body_class=RotateSerializer)["grace_seconds"])
        token = integration_rotate(integration=integration, now=clock.now(), grace=grace)
        return self._with_token(integration, token, status.HTTP_200_OK)
