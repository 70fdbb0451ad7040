"""/api/v1/postmortems/{id}/timeline/: the postmortem's own timeline. Add an entry by hand,
change an entry's instant or text (a drafted one is marked edited; the incident's record stays
as it was), hide or show it, delete one added by hand. A responder of the team writes."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from incidents.api.postmortem_access import acting_person, postmortems_of, refusals
from incidents.api.postmortem_serializers import EntryAddBody, EntrySerializer, EntryUpdateBody
from incidents.models import PostmortemEntry
from incidents.services import postmortems as services
from oncall import clock
from oncall.api.access import RESPONDER, require_role
from oncall.api.pagination import Cursor
from oncall.api.schema import ERRORS


class TimeCursor(Cursor):
    ordering = ("at", "id")  # a timeline reads in order of time


class PostmortemEntryViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The postmortem's timeline, in order of time (hidden entries included, marked)."""

    queryset = PostmortemEntry.objects.all()
    serializer_class = EntrySerializer
    filter_backends: list = []
    pagination_class = TimeCursor
    lookup_value_regex = r"[0-9]{1,18}"

    def postmortem(self):
        cached = getattr(self, "_postmortem", None)
        if cached is None:
            found = postmortems_of(self.request).filter(pk=self.kwargs["postmortem_id"])
            cached = self._postmortem = get_object_or_404(found)
        return cached

    def get_queryset(self):
        return self.queryset.filter(postmortem=self.postmortem()).order_by("at", "id")

    def _writable(self, what: str):
        postmortem = self.postmortem()
        require_role(self.request, postmortem.team_id, RESPONDER, what)
        return postmortem

    def _body(self, body_class, **options) -> dict:
        body = body_class(data=self.request.data, **options)
        body.is_valid(raise_exception=True)
        return body.validated_data

    @extend_schema(request=EntryAddBody, responses={201: EntrySerializer, 409: ERRORS[409]})
    def create(self, request, *args, **kwargs):
        """Add an entry by hand to the timeline (refused, 409, once published)."""
        postmortem = self._writable("add to the timeline")
        body = self._body(EntryAddBody)
        with refusals():
            entry = services.entry_add(
                postmortem=postmortem, by=acting_person(request), now=clock.now(), **body
            )
        return Response(EntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=EntryUpdateBody, responses={200: EntrySerializer, 409: ERRORS[409]})
    def partial_update(self, request, *args, **kwargs):
        """Change an entry's instant or text, or hide or show it."""
        entry = self.get_object()
        self._writable("change the timeline")
        body = self._body(EntryUpdateBody, partial=True)
        with refusals():
            changed = services.entry_update(
                entry=entry, by=acting_person(request), now=clock.now(), **body
            )
        return Response(EntrySerializer(changed).data)

    @extend_schema(responses={204: None, 409: ERRORS[409]})
    def destroy(self, request, *args, **kwargs):
        """Delete an entry added by hand; one drafted from the record is hidden instead (409)."""
        entry = self.get_object()
        self._writable("change the timeline")
        with refusals():
            services.entry_delete(entry=entry, by=acting_person(request), now=clock.now())
        return Response(status=status.HTTP_204_NO_CONTENT)
