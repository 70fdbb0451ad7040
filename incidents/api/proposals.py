"""/api/v1/schedules/{id}/proposals/: fair rota proposals. A team admin asks for one (202: it
is solved by a worker in seconds), reads it (status, shifts, fairness report, uncovered hours,
rules held, solver figures) and applies it as overrides."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.reverse import reverse

from incidents.models import RotaProposal
from incidents.proposals.options import COVERAGES, RULE_BOUNDS, OptionsError
from incidents.proposals.services import rota_proposal_apply, rota_proposal_create
from oncall import clock
from oncall.api.access import ADMIN, require_role, teams_with
from oncall.api.fields import ApiModelSerializer
from oncall.api.overrides import OverrideSerializer
from oncall.api.schedule_parts import SchedulePartViewSet, schedule_visible


class ProposalSerializer(ApiModelSerializer):
    url = serializers.SerializerMethodField(help_text="Where to read this proposal.")
    name = serializers.SerializerMethodField(help_text="The schedule, horizon and status.")
    result = serializers.JSONField(
        read_only=True,
        help_text="Once solved: shifts, uncovered, people (proposed / baseline / past loads), "
        "mean, spread, baseline_spread, rules_held, solver (status, objective, bound, gap, "
        "wall_seconds, time_limit_seconds). Null while solving.",
    )

    class Meta:
        model = RotaProposal
        fields = [
            "id",
            "name",
            "url",
            "schedule",
            "status",
            "since",
            "until",
            "options",
            "result",
            "error",
            "created_at",
            "solved_at",
            "applied_at",
        ]
        read_only_fields = fields

    def get_url(self, proposal) -> str:
        return reverse(
            "api-proposal-detail",
            kwargs={"schedule_id": proposal.schedule_id, "pk": proposal.pk},
            request=self.context.get("request"),
        )

    def get_name(self, proposal) -> str:
        return f"{proposal.schedule.name} from {proposal.since.isoformat()}, {proposal.status}"


class ProposalWriteSerializer(serializers.Serializer):
    weeks = serializers.IntegerField(min_value=1, help_text="How many weeks to propose.")
    start = serializers.CharField(
        required=False,
        allow_null=True,
        help_text="A date (its midnight in the schedule's zone) or an ISO-8601 time with its "
        "offset; default: the next Monday.",
    )
    options = serializers.DictField(
        required=False,
        help_text=f"coverage ({' or '.join(COVERAGES)}) and the solver's rules: "
        f"{', '.join(RULE_BOUNDS)}.",
    )


class ProposalViewSet(SchedulePartViewSet):
    """A schedule's fair rota proposals, newest first (team admins)."""

    queryset = RotaProposal.objects.select_related("schedule")
    serializer_class = ProposalSerializer

    def initial(self, request, *args, **kwargs):
        """Refuse (403) a caller who administers no team before looking for the schedule, so
        that they learn nothing of which schedules exist; then the schedule's team decides."""
        # Authenticate, check permissions and throttle once, as SchedulePartViewSet's parent does.
        super(SchedulePartViewSet, self).initial(request, *args, **kwargs)
        if not teams_with(request, ADMIN):
            raise exceptions.PermissionDenied(
                "You need the admin role in a team to propose rotas for its schedules."
            )
        self.schedule = schedule_visible(request, kwargs["schedule_id"])
        require_role(request, self.schedule.team_id, ADMIN, "propose rotas")

    @extend_schema(request=ProposalWriteSerializer, responses={202: ProposalSerializer})
    def create(self, request, *args, **kwargs):
        """Ask for a fair rota proposal; answered at once (202) while a worker solves it.

        Read it at `url` until `status` is `proposed` (or `failed`).
        """
        body = ProposalWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        raw = {**body.validated_data.get("options", {}), "weeks": body.validated_data["weeks"]}
        if body.validated_data.get("start"):
            raw["start"] = body.validated_data["start"]
        try:
            proposal = rota_proposal_create(
                schedule=self.schedule, raw_options=raw, now=clock.now(), created_by=request.user
            )
        except OptionsError as error:
            given = body.validated_data.get("options", {})
            raise serializers.ValidationError(
                {
                    (f"options.{name}" if name in given and name != "weeks" else name): messages
                    for name, messages in error.errors.items()
                }
            ) from None
        data = ProposalSerializer(proposal, context={"request": request}).data
        return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": data["url"]})

    @extend_schema(request=None, responses={200: OverrideSerializer(many=True)})
    @action(detail=True, methods=["post"])
    def apply(self, request, *args, **kwargs):
        """Apply a solved proposal: the overrides it takes to make the schedule say it (none
        the second time)."""
        proposal = self.get_object()
        made = rota_proposal_apply(proposal=proposal, now=clock.now(), applied_by=request.user)
        return Response(OverrideSerializer(made, many=True).data)
