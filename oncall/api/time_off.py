"""/api/v1/people/{id}/time-off/: when a person is away. Whoever sees the person sees when they
are away; the reason only they and the admins of their teams read. They enter, move and delete
their own (with a respond or admin token); an admin of one of their teams does it for them.
Entering time off asks the team to cover the person's shifts inside it (services/time_off.py)."""

from __future__ import annotations

import django_filters
from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.response import Response

from oncall.api.access import require_person_editor
from oncall.api.base import people_shown_whole, visible_people
from oncall.api.fields import (
    ApiModelSerializer,
    AwareDateTimeField,
    AwareDateTimeFilter,
    PersonRefSerializer,
)
from oncall.api.schedule_parts import ID_PATTERN, parsed
from oncall.models import Person, TimeOff
from oncall.services import time_off_create, time_off_delete, time_off_update


class TimeOffSerializer(ApiModelSerializer):
    person = PersonRefSerializer(read_only=True)
    name = serializers.SerializerMethodField(help_text="Who, and from when.")
    reason = serializers.SerializerMethodField(
        help_text="For the person and the admins of their teams; blank for everyone else."
    )
    cover_requests = serializers.SerializerMethodField(
        help_text="The ids of the cover requests it opened for the person's shifts inside it."
    )

    class Meta:
        model = TimeOff
        fields = ["id", "name", "person", "start", "end", "reason", "cover_requests", "created_at"]
        read_only_fields = fields

    def get_name(self, time_off) -> str:
        return f"{time_off.person.display_name} away from {time_off.start.isoformat()}"

    def get_reason(self, time_off) -> str:
        return time_off.reason if time_off.person_id in self.context["whole"] else ""

    def get_cover_requests(self, time_off) -> list[int]:
        return [request.pk for request in time_off.cover_requests.all()]


class TimeOffWriteSerializer(serializers.Serializer):
    start = AwareDateTimeField(help_text="From when (the past is allowed).")
    end = AwareDateTimeField(help_text="Until when: after start, at most 366 days later.")
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)

    def validate(self, attrs):
        if "start" in attrs and "end" in attrs and attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": "Time off must end after it starts."})
        return attrs


class TimeOffFilter(django_filters.FilterSet):
    since = AwareDateTimeFilter(
        field_name="end", lookup_expr="gt", help_text="Time off that ends after this instant."
    )
    until = AwareDateTimeFilter(
        field_name="start", lookup_expr="lt", help_text="Time off that starts before it."
    )

    class Meta:
        model = TimeOff
        fields = ["since", "until"]


class TimeOffViewSet(viewsets.ReadOnlyModelViewSet):
    """A person's time off: when they are away, and no shift should be theirs."""

    queryset = TimeOff.objects.select_related("person").prefetch_related("cover_requests")
    serializer_class = TimeOffSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = TimeOffFilter
    lookup_value_regex = ID_PATTERN

    person: Person

    def initial(self, request, *args, **kwargs):
        """Find the person in the URL first: 404 if the caller cannot see them."""
        super().initial(request, *args, **kwargs)
        self.person = get_object_or_404(visible_people(request), pk=kwargs["person_id"])

    def get_queryset(self):
        return super().get_queryset().filter(person=self.person)

    def get_serializer_context(self):
        return super().get_serializer_context() | {"whole": people_shown_whole(self.request)}

    def _shown(self, time_off: TimeOff, status_code: int = status.HTTP_200_OK) -> Response:
        shown = self.get_queryset().get(pk=time_off.pk)
        return Response(self.get_serializer(shown).data, status=status_code)

    @extend_schema(request=TimeOffWriteSerializer, responses={201: TimeOffSerializer})
    def create(self, request, *args, **kwargs):
        """Enter time off: the person themselves, or an admin of one of their teams.

        Each of their shifts inside it, on any schedule, is offered to the team as a cover
        request for the part still to come.
        """
        require_person_editor(request, self.person, "enter their time off")
        body = parsed(TimeOffWriteSerializer, request.data)
        made = time_off_create(person=self.person, created_by=request.user, **body)
        return self._shown(made, status.HTTP_201_CREATED)

    @extend_schema(request=TimeOffWriteSerializer, responses={200: TimeOffSerializer})
    def partial_update(self, request, *args, **kwargs):
        """Move time off or change its reason; the cover requests it opened follow it."""
        time_off = self.get_object()
        require_person_editor(request, self.person, "change their time off")
        body = parsed(TimeOffWriteSerializer, request.data, patch=True)
        return self._shown(time_off_update(time_off=time_off, created_by=request.user, **body))

    @extend_schema(responses={204: None})
    def destroy(self, request, *args, **kwargs):
        """Delete time off; the cover requests it opened that nobody took are withdrawn."""
        time_off = self.get_object()
        require_person_editor(request, self.person, "delete their time off")
        time_off_delete(time_off=time_off)
        return Response(status=status.HTTP_204_NO_CONTENT)
