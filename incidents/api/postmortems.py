"""/api/v1/postmortems/: what a team learned from its incidents. Start one from incidents (its
timeline drafted from their record), edit its title and sections from a revision (409 when
someone saved since), send it for review, approve, publish or take it back to draft, and
export it as Markdown (`…/export.md`).

Any member of the team reads; a responder (with a respond or admin token) writes; a requested
reviewer approves; publishing before every reviewer approved takes a team admin.
"""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from incidents.api.postmortem_access import (
    acting_person,
    people_named,
    postmortems_of,
    refusals,
)
from incidents.api.postmortem_serializers import (
    PostmortemDetailSerializer,
    PostmortemSerializer,
    PostmortemStartBody,
    PostmortemUpdateBody,
    ReviewBody,
)
from incidents.api.scoping import visible_service_ids
from incidents.models import ActionItem, Incident, Postmortem, PostmortemEntry, PostmortemReviewer
from incidents.postmortem_export import export_filename, postmortem_markdown
from incidents.services import postmortems as services
from oncall import clock
from oncall.api.access import ADMIN, RESPONDER, VIEWER, require_role, team_allows, token_scope
from oncall.api.fields import ChoicesFilter, id_filter
from oncall.api.schema import ERRORS
from oncall.models import ApiToken

CHANGED = {200: PostmortemDetailSerializer, 409: ERRORS[409]}


class PostmortemFilter(django_filters.FilterSet):
    team = id_filter("team_id", "A team")
    status = ChoicesFilter(choices=Postmortem.Status.choices, help_text="One or more statuses.")

    class Meta:
        model = Postmortem
        fields = ["team", "status"]


class PostmortemViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Postmortems of your teams, newest first."""

    queryset = Postmortem.objects.all()
    serializer_class = PostmortemSerializer
    filterset_class = PostmortemFilter
    ordering_fields = ["id", "created_at"]
    lookup_value_regex = r"[0-9]{1,18}"

    def get_queryset(self):
        postmortems = postmortems_of(self.request).select_related("team", "created_by")
        postmortems = postmortems.prefetch_related("links")
        if self.action == "list":
            return postmortems
        return postmortems.prefetch_related(
            Prefetch("incidents", queryset=Incident.objects.select_related("service")),
            "sections",
            Prefetch("entries", queryset=PostmortemEntry.objects.order_by("at", "id")),
            Prefetch(
                "reviewers",
                queryset=PostmortemReviewer.objects.select_related("person").order_by("id"),
            ),
            Prefetch(
                "action_items",
                queryset=ActionItem.objects.select_related("owner", "postmortem").order_by("id"),
            ),
        )

    def get_serializer_class(self):
        return PostmortemSerializer if self.action == "list" else PostmortemDetailSerializer

    def _answer(self, postmortem, status_code: int = status.HTTP_200_OK) -> Response:
        shown = self.get_queryset().get(pk=postmortem.pk)
        return Response(PostmortemDetailSerializer(shown).data, status=status_code)

    def _body(self, body_class) -> dict:
        body = body_class(data=self.request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        return body.validated_data

    def _editable(self, what: str, role: str = RESPONDER) -> Postmortem:
        postmortem = self.get_object()
        require_role(self.request, postmortem.team_id, role, what)
        return postmortem

    @extend_schema(
        request=PostmortemStartBody,
        responses={201: PostmortemDetailSerializer, 409: ERRORS[409]},
    )
    def create(self, request, *args, **kwargs):
        """Start a postmortem of one or more incidents of one team, as a draft.

        Its timeline is drafted from the incidents' record (alerts, pages, acknowledgements,
        notes…); its sections are the team's template. Needs the responder role in the team;
        an incident already in a postmortem is a 409.
        """
        body = self._body(PostmortemStartBody)
        numbers = list(dict.fromkeys(body["incidents"]))
        incidents = list(
            Incident.objects.filter(
                pk__in=numbers, service_id__in=visible_service_ids(request)
            ).select_related("service")
        )
        if len(incidents) != len(numbers):
            found = {incident.pk for incident in incidents}
            missing = ", ".join(f"#{n}" for n in numbers if n not in found)
            raise exceptions.ValidationError(
                {"incidents": [f"There is no such incident in your teams: {missing}."]}
            )
        with refusals():
            teams = {incident.service.team for incident in incidents}
            if len(teams) > 1:
                raise services.IncidentsOfSeveralTeams(teams)
            require_role(request, teams.pop().pk, RESPONDER, "start a postmortem")
            postmortem = services.postmortem_start(
                incidents=incidents,
                by=acting_person(request),
                now=clock.now(),
                title=body.get("title", ""),
            )
        return self._answer(postmortem, status.HTTP_201_CREATED)

    @extend_schema(
        request=PostmortemUpdateBody,
        responses={200: PostmortemDetailSerializer, 409: ERRORS[409]},
    )
    def partial_update(self, request, *args, **kwargs):
        """Change the title or sections' bodies, made from `revision`.

        A 409 when someone saved it since (the message names the revision now: reload, then
        make the change again) or it is published. Each save is one new revision.
        """
        postmortem = self._editable("edit the postmortem")
        body = self._body(PostmortemUpdateBody)
        with refusals():
            changed = services.postmortem_update(
                postmortem=postmortem,
                by=acting_person(request),
                now=clock.now(),
                revision=body["revision"],
                title=body.get("title"),
                sections=body.get("sections"),
            )
        return self._answer(changed)

    @extend_schema(request=ReviewBody, responses=CHANGED)
    @action(detail=True, methods=["post"], filter_backends=[])
    def review(self, request, pk=None):
        """Send a draft for review by people of the team (responders)."""
        postmortem = self._editable("send the postmortem for review")
        reviewers = people_named(request, self._body(ReviewBody)["reviewers"], field="reviewers")
        with refusals():
            changed = services.postmortem_request_review(
                postmortem=postmortem,
                by=acting_person(request),
                now=clock.now(),
                reviewers=reviewers,
            )
        return self._answer(changed)

    @extend_schema(request=None, responses=CHANGED)
    @action(detail=True, methods=["post"], filter_backends=[])
    def approve(self, request, pk=None):
        """Approve the postmortem in review, as one of the people asked to review it."""
        postmortem = self._editable("approve the postmortem", VIEWER)
        self._refuse_read_token("approve the postmortem")
        with refusals():
            changed = services.postmortem_approve(
                postmortem=postmortem, by=acting_person(request), now=clock.now()
            )
        return self._answer(changed)

    @extend_schema(request=None, responses=CHANGED)
    @action(detail=True, methods=["post"], filter_backends=[])
    def publish(self, request, pk=None):
        """Publish the postmortem in review once every reviewer approved (a team admin may
        publish before). Published, only its action items change."""
        postmortem = self._editable("publish the postmortem")
        waiting = postmortem.reviewers.filter(approved_at__isnull=True).exists()
        if waiting and not team_allows(request, postmortem.team_id, ADMIN):
            raise exceptions.PermissionDenied(
                "Not every reviewer approved yet; only a team admin may publish it before."
            )
        with refusals():
            changed = services.postmortem_publish(
                postmortem=postmortem, by=acting_person(request), now=clock.now()
            )
        return self._answer(changed)

    @extend_schema(request=None, responses=CHANGED)
    @action(detail=True, methods=["post"], url_path="return-to-draft", filter_backends=[])
    def return_to_draft(self, request, pk=None):
        """Take the postmortem in review back to draft; approvals so far no longer count."""
        postmortem = self._editable("return the postmortem to draft")
        with refusals():
            changed = services.postmortem_return_to_draft(
                postmortem=postmortem, by=acting_person(request), now=clock.now()
            )
        return self._answer(changed)

    @extend_schema(
        operation_id="postmortems_export_markdown",
        responses={
            (200, "text/markdown"): OpenApiResponse(
                OpenApiTypes.STR,
                description="GitHub Flavored Markdown; times in your time zone and in UTC.",
            )
        },
    )
    def export(self, request, pk=None):
        """Export the postmortem as Markdown, for a repository or a wiki."""
        postmortem = self.get_object()
        person = acting_person(request)
        zone = person.time_zone if person is not None else "UTC"
        answer = HttpResponse(
            postmortem_markdown(postmortem, zone=zone), content_type="text/markdown; charset=utf-8"
        )
        answer["Content-Disposition"] = f'attachment; filename="{export_filename(postmortem)}"'
        return answer

    def _refuse_read_token(self, what: str) -> None:
        if token_scope(self.request) == ApiToken.Scope.READ:
            raise exceptions.PermissionDenied(f"A read token cannot {what}.")
