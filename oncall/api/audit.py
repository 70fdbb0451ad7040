"""/api/v1/audit/: the audit log, read-only, newest first, for team admins.

An admin reads the entries of the teams they administer (by role, capped by the token's scope),
and the entries of their members' own objects (profile, contact methods, rules, tokens); a
superuser reads everything. No method changes or deletes an entry (405).
"""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, viewsets

from oncall.api.access import ADMIN, acts_as_superuser, teams_with
from oncall.api.fields import AwareDateTimeFilter, ChoicesFilter, id_filter
from oncall.api.schema import error_answer
from oncall.models import AuditEntry, Membership
from oncall.models.audit import COMMON_ACTIONS

NOT_ADMIN = "You need the admin role in a team to read the audit log."


class AuditEntrySerializer(serializers.ModelSerializer):
    team = serializers.IntegerField(
        source="team_id", allow_null=True, help_text="The id of the team the object belongs to."
    )
    person = serializers.IntegerField(
        source="person_id",
        allow_null=True,
        help_text="The id of the person a person's own object belongs to.",
    )
    changes = serializers.DictField(
        child=serializers.JSONField(),
        help_text='Updates: {"field": [before, after]}; creates: the values; deletes: the values '
        "before. Foreign keys are ids, instants ISO-8601, durations seconds.",
    )

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "at",
            "actor",
            "actor_name",
            "token_name",
            "origin",
            "source",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "team",
            "person",
            "changes",
        ]
        read_only_fields = fields


class AuditFilter(django_filters.FilterSet):
    team = id_filter("team_id", "A team")
    object_type = django_filters.CharFilter(help_text="e.g. override, escalation_policy.")
    object_id = django_filters.CharFilter(help_text="The object's id (an incident's number).")
    action = django_filters.CharFilter(help_text=f"e.g. {', '.join(COMMON_ACTIONS)}.")
    source = ChoicesFilter(choices=AuditEntry.Source.choices, help_text="One or more sources.")
    actor = django_filters.CharFilter(help_text="A username.")
    since = AwareDateTimeFilter(
        field_name="at", lookup_expr="gte", help_text="At or after this instant."
    )
    until = AwareDateTimeFilter(field_name="at", lookup_expr="lt", help_text="Before this instant.")

    class Meta:
        model = AuditEntry
        fields = ["team", "object_type", "object_id", "action", "source", "actor"]


NOT_ADMIN_ANSWER = {403: error_answer(403, "permission_denied", NOT_ADMIN)}


@extend_schema_view(
    list=extend_schema(responses={200: AuditEntrySerializer(many=True), **NOT_ADMIN_ANSWER}),
    retrieve=extend_schema(
        summary="One audit entry",
        description="One entry of the audit log, by its id.",
        responses={200: AuditEntrySerializer, **NOT_ADMIN_ANSWER},
    ),
)
class AuditEntryViewSet(viewsets.ReadOnlyModelViewSet):
    """The audit log: who changed what, when, and through what, newest first."""

    queryset = AuditEntry.objects.all()
    serializer_class = AuditEntrySerializer
    filterset_class = AuditFilter
    filter_backends = [DjangoFilterBackend]
    lookup_value_regex = r"[0-9]{1,18}"

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not acts_as_superuser(request) and not teams_with(request, ADMIN):
            raise exceptions.PermissionDenied(NOT_ADMIN)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's generation
            return self.queryset.none()
        if acts_as_superuser(self.request):
            return self.queryset
        teams = teams_with(self.request, ADMIN)
        members = Membership.objects.filter(team__in=teams).values("person_id")
        # A person's own objects carry no team: their entries are seen by the admins of every
        # team the person is in. A membership of another team names that team, so stays unseen.
        return self.queryset.filter(
            Q(team_id__in=teams) | Q(team_id__isnull=True, person_id__in=members)
        )
