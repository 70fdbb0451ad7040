"""/api/v1/incidents/: the list (filtered, cursor-paginated), one incident and what it holds,
declaring one by hand, and the actions (acknowledge, resolve, escalate, snooze, reassign, notes,
responders).

An action needs the responder role in the incident's team, capped by the token's scope
(oncall/api/access.py), and then goes through incident_act, whose access rule every entry point
shares (incidents/access.py).
"""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from incidents.access import ActionRefused
from incidents.api.actions import NoChange, NoteBody, PersonBody, SnoozeBody, people_visible
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
from incidents.models.choices import Action, Severity, Source, Urgency
from incidents.selectors import page_masks
from incidents.services.acts import incident_act
from incidents.services.declare import incident_declare
from oncall import clock
from oncall.api.access import RESPONDER, require_role, teams_with
from oncall.api.fields import AwareDateTimeFilter, ChoicesFilter, IdFilter, id_filter
from oncall.api.schema import ERRORS

# What an action answers: the incident after it, or 409 when it found nothing to do.
ACTED = {200: IncidentDetailSerializer, 409: ERRORS[409]}


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

    def _act(self, request, action: Action, body_class=None, **arguments):
        """Do `action` through incident_act and answer with the incident (200), or 409 when it
        found nothing to do; a refusal is a 403 and changes nothing."""
        incident = self.get_object()
        require_role(request, incident.service.team_id, RESPONDER, action.label.lower())
        if body_class is not None:
            people = people_visible(teams_with(request))
            body = body_class(data=request.data, context={"people": people})
            body.is_valid(raise_exception=True)
            arguments.update(body.validated_data)
        person = getattr(request.user, "person", None)
        if person is None:
            raise exceptions.PermissionDenied("Your user is not a person in Plantão.")
        try:
            result = incident_act(
                incident=incident,
                action=action,
                by=person,
                source=Source.API,
                now=clock.now(),
                **arguments,
            )
        except ActionRefused as refused:
            raise exceptions.PermissionDenied(refused.message) from refused
        if not result.changed:
            raise NoChange(result.message)
        incident = self.get_queryset().get(pk=incident.pk)
        return Response(IncidentDetailSerializer(incident).data)

    @extend_schema(request=None, responses=ACTED)
    @action(detail=True, methods=["post"], filter_backends=[])
    def acknowledge(self, request, number=None):
        """Acknowledge the incident: its escalation stops (409 when it is not triggered)."""
        return self._act(request, Action.ACKNOWLEDGE)

    @extend_schema(request=None, responses=ACTED)
    @action(detail=True, methods=["post"], filter_backends=[])
    def resolve(self, request, number=None):
        """Resolve the incident (409 when it is already resolved)."""
        return self._act(request, Action.RESOLVE)

    @extend_schema(request=None, responses=ACTED)
    @action(detail=True, methods=["post"], filter_backends=[])
    def escalate(self, request, number=None):
        """Escalate now: the next step of the policy pages at once (409 when there is none)."""
        return self._act(request, Action.ESCALATE)

    @extend_schema(request=SnoozeBody, responses=ACTED)
    @action(detail=True, methods=["post"], filter_backends=[])
    def snooze(self, request, number=None):
        """Snooze an acknowledged incident: it triggers and pages again after `minutes`."""
        return self._act(request, Action.SNOOZE, SnoozeBody)

    @extend_schema(request=PersonBody, responses=ACTED)
    @action(detail=True, methods=["post"], filter_backends=[])
    def reassign(self, request, number=None):
        """Reassign the incident to another person of its team, who is paged."""
        return self._act(request, Action.REASSIGN, PersonBody)

    @extend_schema(request=NoteBody, responses=ACTED)
    @action(detail=True, methods=["post"], filter_backends=[])
    def notes(self, request, number=None):
        """Add a note to the incident's timeline."""
        return self._act(request, Action.NOTE, NoteBody)

    @extend_schema(request=PersonBody, responses=ACTED)
    @action(detail=True, methods=["post"], filter_backends=[])
    def responders(self, request, number=None):
        """Ask another person to help: they are paged for the incident."""
        return self._act(request, Action.ADD_RESPONDER, PersonBody)
