"""/api/v1/incidents/: the list (filtered, cursor-paginated), one incident and what it holds,
and declaring one by hand.

The actions (acknowledge, resolve, escalate, snooze, reassign, notes, responders) are added to
IncidentViewSet as detail routes over incident_act, each checked with
require_role(request, incident.service.team_id, RESPONDER, ...) from oncall/api/access.py.
"""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from incidents.api.scoping import visible_service_ids
from incidents.api.serializers import (
    AlertSerializer,
    DeclareSerializer,
    IncidentDetailSerializer,
    IncidentSerializer,
    PageSerializer,
    TimelineEntrySerializer,
)
from incidents.models import Incident, Service
from incidents.models.choices import Severity, Source, Urgency
from incidents.selectors import page_masks
from incidents.services.declare import incident_declare
from oncall import clock
from oncall.api.access import RESPONDER, require_role
from oncall.api.fields import AwareDateTimeFilter, ChoicesFilter, IdFilter, id_filter


class IncidentFilter(django_filters.FilterSet):
    status = ChoicesFilter(
        choices=Incident.Status.choices,
        help_text="One or more: repeat it (?status=triggered&status=acknowledged) or use commas.",
    )
    urgency = ChoicesFilter(choices=Urgency.choices, help_text="One or more urgencies.")
    severity = ChoicesFilter(choices=Severity.choices, help_text="One or more severities.")
    service = id_filter("service_id", "A service")
    team = IdFilter(method="_team", help_text="A team's id.")
    since = AwareDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="Created at or after this instant."
    )
    until = AwareDateTimeFilter(
        field_name="created_at", lookup_expr="lt", help_text="Created before this instant."
    )

    class Meta:
        model = Incident
        fields = ["status", "urgency", "severity", "service", "team", "since", "until"]

    def _team(self, queryset, name, value):
        # By the team's service ids: the incident index is walked without joining services.
        return queryset.filter(service_id__in=Service.objects.filter(team_id=value).values("pk"))


class IncidentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Incidents of your teams' services, newest first."""

    queryset = Incident.objects.all()
    serializer_class = IncidentSerializer
    filterset_class = IncidentFilter
    ordering_fields = ["id", "created_at"]
    lookup_url_kwarg = "number"  # /api/v1/incidents/42/ is #42
    lookup_value_regex = r"[0-9]{1,18}"

    def get_queryset(self):
        incidents = self.queryset.filter(service_id__in=visible_service_ids(self.request))
        if self.action == "list":
            return incidents.select_related("service", "assignee")
        return incidents.select_related(
            "service", "assignee", "acknowledged_by", "resolved_by"
        ).prefetch_related("responders__person")

    def get_serializer_class(self):
        return {"list": IncidentSerializer, "create": DeclareSerializer}.get(
            self.action, IncidentDetailSerializer
        )

    def create(self, request, *args, **kwargs):
        """Declare an incident on a service by hand; its on-call is paged as for an alert.

        Needs the responder role in the service's team (and a respond or admin token).
        """
        services = Service.objects.filter(pk__in=visible_service_ids(request))
        body = DeclareSerializer(data=request.data, context={"services": services})
        body.is_valid(raise_exception=True)
        service = body.validated_data["service"]
        require_role(request, service.team_id, RESPONDER, "declare an incident")
        person = getattr(request.user, "person", None)
        details = body.validated_data.get("details")
        incident = incident_declare(
            service=service,
            title=body.validated_data["title"],
            urgency=body.validated_data.get("urgency"),
            details={"text": details} if details else None,
            now=clock.now(),
            by=person,
            source=Source.API,
        )
        incident = self.get_queryset().get(pk=incident.pk)
        return Response(IncidentDetailSerializer(incident).data, status=status.HTTP_201_CREATED)

    def _records(self, queryset, serializer_class, incident):
        page = self.paginate_queryset(queryset)
        context = {"masks": page_masks(incident_id=incident.pk)}
        data = serializer_class(page, many=True, context=context).data
        return self.get_paginated_response(data)

    @extend_schema(responses={200: AlertSerializer(many=True)})
    @action(detail=True, methods=["get"], filter_backends=[])
    def alerts(self, request, number=None):
        """The alerts monitoring sent for this incident, newest first."""
        incident = self.get_object()
        return self._records(incident.alerts.all(), AlertSerializer, incident)

    @extend_schema(responses={200: PageSerializer(many=True)})
    @action(detail=True, methods=["get"], filter_backends=[])
    def pages(self, request, number=None):
        """Every page this incident sent: to whom, how, and whether it arrived."""
        incident = self.get_object()
        return self._records(incident.pages.select_related("person"), PageSerializer, incident)

    @extend_schema(responses={200: TimelineEntrySerializer(many=True)})
    @action(detail=True, methods=["get"], filter_backends=[])
    def timeline(self, request, number=None):
        """What happened to this incident, by whom and through what."""
        incident = self.get_object()
        entries = incident.timeline.select_related("actor")
        return self._records(entries, TimelineEntrySerializer, incident)
