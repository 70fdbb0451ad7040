"""/api/v1/escalation-policies/: who is paged for an incident, in which order, how often.

Team admins write a policy with its steps and targets in one body, saved whole or not at all;
every change moves the policy's version, so the next incident is paged per the new policy.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from incidents.api.services import TeamFilter
from incidents.api.writes import PathErrors, TeamAdminViewSet, TeamRef
from incidents.models import EscalationPolicy, EscalationStep, EscalationTarget
from incidents.services.policy_admin import (
    MAX_ESCALATE_AFTER_MINUTES,
    MAX_REPEAT,
    MAX_STEPS,
    MAX_TARGETS,
    StepSpec,
    TargetSpec,
    escalation_policy_create,
    escalation_policy_delete,
    escalation_policy_update,
)
from oncall.api.fields import ApiModelSerializer, PersonRefSerializer, RefSerializer
from oncall.api.schema import ERRORS
from oncall.models import Person, Schedule, Team


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
        fields = ["id", "name", "team", "repeat", "description", "version", "steps"]
        read_only_fields = fields


class TargetWriteSerializer(serializers.Serializer):
    """Whom a step pages: name the one object its kind needs."""

    kind = serializers.ChoiceField(choices=EscalationTarget.Kind.choices)
    person = TeamRef(
        queryset=Person.objects.all(),
        what="person",
        team_path="memberships__team",
        required=False,
        allow_null=True,
        help_text="kind person: a member of the policy's team.",
    )
    schedule = TeamRef(
        queryset=Schedule.objects.all(),
        what="schedule",
        required=False,
        allow_null=True,
        help_text="kind schedule: one of the team's; its on-call is paged.",
    )
    team = TeamRef(
        queryset=Team.objects.all(),
        what="team",
        team_path="pk",
        required=False,
        allow_null=True,
        help_text="kind team_all or team_round_robin: the policy's team (the default).",
    )

    def to_internal_value(self, data):
        return TargetSpec(**super().to_internal_value(data))


class StepWriteSerializer(serializers.Serializer):
    escalate_after_minutes = serializers.IntegerField(
        min_value=0,
        max_value=MAX_ESCALATE_AFTER_MINUTES,
        default=5,
        help_text="Minutes before the next step (or a repeat); at least 1 unless the only step.",
    )
    targets = TargetWriteSerializer(
        many=True, max_length=MAX_TARGETS, help_text="Paged at once when the step fires."
    )

    def to_internal_value(self, data):
        return StepSpec(**super().to_internal_value(data))


class EscalationPolicyWriteSerializer(PathErrors, serializers.Serializer):
    """A policy whole. Left out of a PUT: the default; of a PATCH: unchanged (steps given to a
    PATCH replace them all)."""

    team = TeamRef(queryset=Team.objects.all(), what="team", team_path="pk")
    name = serializers.CharField(max_length=100, help_text="Unique.")
    repeat = serializers.IntegerField(
        min_value=0,
        max_value=MAX_REPEAT,
        default=0,
        help_text="How many more times to run the steps while nobody acknowledges.",
    )
    description = serializers.CharField(max_length=2000, allow_blank=True, default="")
    steps = StepWriteSerializer(
        many=True, max_length=MAX_STEPS, help_text="In order: the first pages at once."
    )


class EscalationPolicyFilter(TeamFilter):
    class Meta:
        model = EscalationPolicy
        fields = ["team"]


class EscalationPolicyViewSet(TeamAdminViewSet):
    """Who is paged for an incident, in which order, and how often it is repeated."""

    queryset = EscalationPolicy.objects.select_related("team").prefetch_related(
        "steps__targets__person", "steps__targets__schedule", "steps__targets__team"
    )
    serializer_class = EscalationPolicySerializer
    filterset_class = EscalationPolicyFilter
    ordering_fields = ["id", "name"]
    body_class = EscalationPolicyWriteSerializer
    admin_what = "change its escalation policies"

    @extend_schema(
        request=EscalationPolicyWriteSerializer, responses={201: EscalationPolicySerializer}
    )
    def create(self, request, *args, **kwargs):
        """Create an escalation policy with its steps and targets, whole or not at all.

        Needs the admin role in the team (and an admin token). Targets are the team's: its
        members, its schedules, or the team itself.
        """
        body = self.body()
        self.require_admin(body["team"].pk)
        return self.answer(escalation_policy_create(**body), status.HTTP_201_CREATED)

    @extend_schema(
        request=EscalationPolicyWriteSerializer, responses={200: EscalationPolicySerializer}
    )
    def update(self, request, *args, **kwargs):
        """Replace an escalation policy and all its steps (team admins)."""
        return self._update(partial=False)

    @extend_schema(
        request=EscalationPolicyWriteSerializer, responses={200: EscalationPolicySerializer}
    )
    def partial_update(self, request, *args, **kwargs):
        """Change an escalation policy's fields; steps, if given, replace all of its steps."""
        return self._update(partial=True)

    def _update(self, *, partial: bool) -> Response:
        policy = self.admin_object()
        body = self.body(partial=partial, instance=policy)
        return self.answer(escalation_policy_update(policy=policy, changes=body))

    @extend_schema(responses={204: None, 409: ERRORS[409]})
    def destroy(self, request, *args, **kwargs):
        """Delete an escalation policy (team admins); refused (409) while services use it."""
        escalation_policy_delete(policy=self.admin_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
