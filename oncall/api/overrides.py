"""/api/v1/schedules/{id}/overrides/: someone covering a schedule for a while, whatever its layers
say. A responder of the team creates them (one, or a list in one request) and changes or
deletes those they created; an admin any."""

from __future__ import annotations

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from oncall.api.access import ADMIN, RESPONDER, require_role, team_allows
from oncall.api.fields import (
    ApiModelSerializer,
    AwareDateTimeField,
    AwareDateTimeFilter,
    PersonRefSerializer,
)
from oncall.api.schedule_parts import PersonIdField, SchedulePartViewSet, members_named, parsed
from oncall.models import Override
from oncall.services import (
    OverrideSpec,
    override_create,
    override_delete,
    override_update,
    overrides_create,
)

MAX_OVERRIDES = 500  # a quarter of daily cover, several times over; still one insert


class OverrideSerializer(ApiModelSerializer):
    person = PersonRefSerializer(read_only=True, help_text="Who covers, over every layer.")
    name = serializers.SerializerMethodField(help_text="Who, and from when.")

    class Meta:
        model = Override
        fields = ["id", "name", "schedule", "person", "start", "end", "reason", "created_at"]
        read_only_fields = fields

    def get_name(self, override) -> str:
        return f"{override.person.display_name} from {override.start.isoformat()}"


class OverrideWriteSerializer(serializers.Serializer):
    person = PersonIdField(help_text="Who covers: a member of the schedule's team.")
    start = AwareDateTimeField(
        help_text="From when (the past is allowed); a shift's start as shifts/ lists it."
    )
    end = AwareDateTimeField(help_text="Until when: after start.")
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)

    def validate(self, attrs):
        if "start" in attrs and "end" in attrs and attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": "An override must end after it starts."})
        return attrs


ONE_OR_MANY = PolymorphicProxySerializer(
    component_name="OverrideOneOrMany",
    serializers=[
        OverrideWriteSerializer,
        OverrideWriteSerializer(many=True, max_length=MAX_OVERRIDES),
    ],
    resource_type_field_name=None,
    many=False,
)
MADE = PolymorphicProxySerializer(
    component_name="OverrideMade",
    serializers=[OverrideSerializer, OverrideSerializer(many=True)],
    resource_type_field_name=None,
    many=False,
)


class OverrideFilter(django_filters.FilterSet):
    since = AwareDateTimeFilter(
        field_name="end", lookup_expr="gt", help_text="Overrides that end after this instant."
    )
    until = AwareDateTimeFilter(
        field_name="start", lookup_expr="lt", help_text="Overrides that start before it."
    )

    class Meta:
        model = Override
        fields = ["since", "until"]


class OverrideViewSet(SchedulePartViewSet):
    """The schedule's overrides: someone covering it for a while, whatever its layers say."""

    queryset = Override.objects.select_related("person")
    serializer_class = OverrideSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = OverrideFilter

    @extend_schema(request=ONE_OR_MANY, responses={201: MADE})
    def create(self, request, *args, **kwargs):
        """Put someone on call over the layers; give one override, or a list saved all at once.

        Needs the responder role in the team. A list is validated whole (errors are named
        `[index].field`) and saved in one insert, or not at all.
        """
        schedule = self.schedule
        require_role(request, schedule.team_id, RESPONDER, "create overrides")
        many = isinstance(request.data, list)
        options = {"many": True, "max_length": MAX_OVERRIDES, "allow_empty": False}
        bodies = parsed(OverrideWriteSerializer, request.data, **(options if many else {}))
        bodies = bodies if many else [bodies]
        fields = [f"[{i}].person" if many else "person" for i in range(len(bodies))]
        people = members_named(
            request,
            team_id=schedule.team_id,
            named={field: [body["person"]] for field, body in zip(fields, bodies, strict=True)},
        )
        specs = [
            OverrideSpec(**{**body, "person": people[field][0]})
            for field, body in zip(fields, bodies, strict=True)
        ]
        if many:
            made = overrides_create(schedule=schedule, overrides=specs, created_by=request.user)
            data = OverrideSerializer(made, many=True).data
        else:
            made = override_create(schedule=schedule, created_by=request.user, **vars(specs[0]))
            data = OverrideSerializer(made).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(request=OverrideWriteSerializer, responses={200: OverrideSerializer})
    def partial_update(self, request, *args, **kwargs):
        """Change an override: an admin any, a responder those they created."""
        override = self._changeable("change")
        body = parsed(OverrideWriteSerializer, request.data, patch=True)
        if "person" in body:
            named = members_named(
                request, team_id=self.schedule.team_id, named={"person": [body["person"]]}
            )
            body = {**body, "person": named["person"][0]}
        override = override_update(override=override, **body)
        return Response(OverrideSerializer(override).data)

    @extend_schema(responses={204: None})
    def destroy(self, request, *args, **kwargs):
        """Delete an override (an admin any, a responder those they created)."""
        override_delete(override=self._changeable("delete"))
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _changeable(self, verb: str) -> Override:
        """Return the override in the URL if the caller may `verb` it: an admin of the team any,
        a responder those they created (403 otherwise)."""
        override = self.get_object()
        override.schedule = self.schedule  # the same row, read once
        team_id = self.schedule.team_id
        if team_allows(self.request, team_id, ADMIN):
            return override
        require_role(self.request, team_id, RESPONDER, f"{verb} overrides")
        if override.created_by_id != self.request.user.pk:
            raise exceptions.PermissionDenied(
                f"You need the admin role in the team to {verb} an override someone else created."
            )
        return override
