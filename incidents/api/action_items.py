"""/api/v1/action-items/: what the teams' postmortems said they would do. Filter by owner,
status, team, postmortem or overdue; a responder of the team adds, changes and deletes them
(even once the postmortem is published, when deleting is refused: mark it cancelled).

/api/v1/postmortem-settings/{team}/: the sections a team's new postmortems start with, and
whether its resolved critical incidents require one; read by the team, written by its admins.
"""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.response import Response

from incidents.api.postmortem_access import acting_person, people_named, postmortems_of, refusals
from incidents.api.postmortem_serializers import (
    ActionItemCreateBody,
    ActionItemSerializer,
    ActionItemUpdateBody,
    PostmortemSettingsBody,
    PostmortemSettingsSerializer,
)
from incidents.models import ActionItem
from incidents.postmortem_selectors import today_for
from incidents.services import postmortems as services
from oncall import clock
from oncall.api.access import ADMIN, RESPONDER, VIEWER, require_role, teams_with
from oncall.api.fields import ChoicesFilter, id_filter
from oncall.api.schema import ERRORS
from oncall.models import Team


class ActionItemFilter(django_filters.FilterSet):
    owner = id_filter("owner_id", "Its owner")
    team = id_filter("postmortem__team_id", "A team")
    postmortem = id_filter("postmortem_id", "A postmortem")
    status = ChoicesFilter(choices=ActionItem.Status.choices, help_text="One or more statuses.")
    overdue = django_filters.BooleanFilter(
        method="_overdue",
        help_text="true: not done and due before today where its owner lives (UTC for none).",
    )

    class Meta:
        model = ActionItem
        fields = ["owner", "team", "postmortem", "status", "overdue"]

    def _overdue(self, queryset, name, value):
        candidates = queryset.filter(status__in=ActionItem.NOT_DONE, due_on__isnull=False)
        candidates = candidates.select_related(None).select_related("owner")
        late = [
            item.pk
            for item in candidates.only("pk", "due_on", "owner__time_zone")
            if item.due_on < today_for(item.owner)
        ]
        return queryset.filter(pk__in=late) if value else queryset.exclude(pk__in=late)


class ActionItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Action items of your teams' postmortems."""

    queryset = ActionItem.objects.all()
    serializer_class = ActionItemSerializer
    filterset_class = ActionItemFilter
    ordering_fields = ["id", "due_on"]
    lookup_value_regex = r"[0-9]{1,18}"

    def get_queryset(self):
        teams = teams_with(self.request, VIEWER)
        return self.queryset.filter(postmortem__team_id__in=teams).select_related(
            "owner", "postmortem"
        )

    def _body(self, body_class, **options) -> dict:
        body = body_class(data=self.request.data, **options)
        body.is_valid(raise_exception=True)
        return body.validated_data

    def _owner(self, body: dict) -> dict:
        if body.get("owner") is not None:
            (body["owner"],) = people_named(self.request, [body["owner"]], field="owner")
        return body

    def _answer(self, item, status_code=status.HTTP_200_OK) -> Response:
        shown = self.get_queryset().get(pk=item.pk)
        return Response(ActionItemSerializer(shown).data, status=status_code)

    @extend_schema(request=ActionItemCreateBody, responses={201: ActionItemSerializer})
    def create(self, request, *args, **kwargs):
        """Add an action item to a postmortem (published or not); the owner is of its team."""
        body = self._owner(self._body(ActionItemCreateBody))
        postmortem = postmortems_of(request).filter(pk=body.pop("postmortem")).first()
        if postmortem is None:
            raise exceptions.ValidationError(
                {"postmortem": ["There is no such postmortem in your teams."]}
            )
        require_role(request, postmortem.team_id, RESPONDER, "add action items")
        with refusals():
            item = services.action_item_create(
                postmortem=postmortem, by=acting_person(request), now=clock.now(), **body
            )
        return self._answer(item, status.HTTP_201_CREATED)

    @extend_schema(request=ActionItemUpdateBody, responses={200: ActionItemSerializer})
    def partial_update(self, request, *args, **kwargs):
        """Change an item's title, owner, due date, status or link; done or cancelled records
        when, open again clears it."""
        item = self.get_object()
        require_role(request, item.postmortem.team_id, RESPONDER, "change action items")
        body = self._owner(self._body(ActionItemUpdateBody, partial=True))
        with refusals():
            changed = services.action_item_update(
                item=item, by=acting_person(request), now=clock.now(), **body
            )
        return self._answer(changed)

    @extend_schema(responses={204: None, 409: ERRORS[409]})
    def destroy(self, request, *args, **kwargs):
        """Delete an action item; once its postmortem is published, a 409: cancel it instead."""
        item = self.get_object()
        require_role(request, item.postmortem.team_id, RESPONDER, "delete action items")
        with refusals():
            services.action_item_delete(item=item, by=acting_person(request), now=clock.now())
        return Response(status=status.HTTP_204_NO_CONTENT)


class PostmortemSettingsViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A team's postmortem template and policy."""

    queryset = Team.objects.all()
    serializer_class = PostmortemSettingsSerializer
    lookup_url_kwarg = "team"
    lookup_value_regex = r"[0-9]{1,18}"
    filter_backends: list = []
    pagination_class = None

    def get_queryset(self):
        return self.queryset.filter(pk__in=teams_with(self.request, VIEWER))

    def retrieve(self, request, *args, **kwargs):
        """Show the sections a team's new postmortems start with, and its policy."""
        settings = services.postmortem_settings_of(team=self.get_object())
        return Response(PostmortemSettingsSerializer(settings).data)

    @extend_schema(request=PostmortemSettingsBody, responses={200: PostmortemSettingsSerializer})
    def update(self, request, *args, **kwargs):
        """Replace the team's postmortem template and policy (team admins); postmortems already
        started keep their sections."""
        team = self.get_object()
        require_role(request, team.pk, ADMIN, "change its postmortem settings")
        body = PostmortemSettingsBody(data=request.data)
        body.is_valid(raise_exception=True)
        sections = [dict(section) for section in body.validated_data["sections"]]
        with refusals():
            settings = services.postmortem_settings_update(
                team=team,
                by=acting_person(request),
                now=clock.now(),
                sections=sections,
                required_for_critical=body.validated_data["required_for_critical"],
            )
        return Response(PostmortemSettingsSerializer(settings).data)
