"""/api/v1/config/plan/ and /api/v1/config/apply/: a configuration file, planned or applied.

The file comes as JSON (`{"file": "<the YAML text>", "name": "plantao.yaml", "prune": false}`)
or as the YAML itself (Content-Type: application/yaml, options in the query string). A
superuser may send any file; a team admin (admin token, admin role) a file whose teams all exist
and are theirs, naming no one outside them.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import BaseParser, JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from incidents.configuration.apply import config_apply
from incidents.configuration.normal import ConfigInvalid, Loaded, load
from incidents.configuration.plan import config_plan
from oncall import clock
from oncall.api.access import ADMIN, acts_as_superuser, team_allows
from oncall.api.errors import body
from oncall.models import ApiToken, Person, Team

MAX_FILE = 5_000_000  # characters: a file of thousands of people is a few hundred kilobytes


class YamlParser(BaseParser):
    """The configuration file itself, as the request body."""

    media_type = "application/yaml"

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read(MAX_FILE + 1) if stream is not None else b""
        if len(raw) > MAX_FILE:
            raise exceptions.ParseError(f"The file is over {MAX_FILE} bytes.")
        try:
            return {"file": raw.decode("utf-8")}
        except UnicodeDecodeError:
            raise exceptions.ParseError("The file is not UTF-8 text.") from None


class TextYamlParser(YamlParser):
    media_type = "text/yaml"


YAML_TYPES = (YamlParser.media_type, TextYamlParser.media_type)


class ConfigRequest(serializers.Serializer):
    file = serializers.CharField(
        max_length=MAX_FILE,
        trim_whitespace=False,
        help_text="The configuration file's YAML text (see manage.py config schema).",
    )
    name = serializers.CharField(
        max_length=200,
        required=False,
        default="api",
        help_text="The file's name, recorded in the audit log as where the changes came from.",
    )
    prune = serializers.BooleanField(
        required=False, default=False, help_text="Delete what the file's teams hold and it lacks."
    )
    trust_verified = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Take new contact methods as verified rather than sending codes (recorded).",
    )


class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)


class ChangeSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["create", "update", "delete", "archive"])
    kind = serializers.CharField(help_text="team, person, contact method, schedule, ...")
    name = serializers.CharField()
    owner = serializers.CharField(allow_blank=True, allow_null=True, required=False)
    line = serializers.IntegerField(allow_null=True, help_text="Its line in the file.")
    path = serializers.CharField(allow_blank=True, allow_null=True)
    fields = FieldChangeSerializer(many=True)


class KeptSerializer(serializers.Serializer):
    kind = serializers.CharField()
    name = serializers.CharField()
    owner = serializers.CharField(allow_blank=True, allow_null=True, required=False)


class PlanSerializer(serializers.Serializer):
    changes = ChangeSerializer(many=True)
    kept = KeptSerializer(many=True, help_text="Not in the file and kept (no prune).")
    summary = serializers.CharField()
    text = serializers.CharField(help_text="The plan as `manage.py config apply` prints it.")


class NewIntegrationSerializer(serializers.Serializer):
    service = serializers.CharField()
    kind = serializers.CharField()
    name = serializers.CharField(allow_blank=True)
    token = serializers.CharField(help_text="Shown this once; stored only hashed.")
    url = serializers.CharField()


class AppliedSerializer(PlanSerializer):
    applied = serializers.BooleanField(help_text="False when nothing needed changing.")
    integrations = NewIntegrationSerializer(many=True)


INVALID = OpenApiResponse(
    description='The file has mistakes: {"error": {"code": "invalid_config", "message", '
    '"problems": [{"line", "path", "message"}]}}; nothing is written.'
)
QUERY = [
    OpenApiParameter("name", str, description="With a YAML body: the file's name."),
    OpenApiParameter("prune", bool, description="With a YAML body: as `prune`."),
    OpenApiParameter("trust_verified", bool, description="With a YAML body: as `trust_verified`."),
]


class _ConfigView(APIView):
    parser_classes = [JSONParser, YamlParser, TextYamlParser]

    def _loaded(self, request) -> tuple[Loaded, dict] | Response:
        if request.content_type.split(";")[0].strip() in YAML_TYPES:
            given = {**request.query_params.dict(), "file": request.data["file"]}
        elif isinstance(request.data, dict):
            given = request.data
        else:
            raise exceptions.ValidationError(
                {
                    "file": [
                        "Send a JSON object with the file's text in `file`, or the YAML itself "
                        "with Content-Type: application/yaml."
                    ]
                }
            )
        asked = ConfigRequest(data=given)
        asked.is_valid(raise_exception=True)
        options = asked.validated_data
        try:
            loaded = load(options["file"], options["name"])
        except ConfigInvalid as error:
            return _invalid(error)
        _require_may_apply(request, loaded.config)
        return loaded, options


def _invalid(error: ConfigInvalid) -> Response:
    answer = body("invalid_config", f"The file has {len(error.problems)} mistake(s).")
    answer["error"]["problems"] = [problem.as_dict() for problem in error.problems]
    return Response(answer, status=status.HTTP_400_BAD_REQUEST)


def _require_may_apply(request, config: dict) -> None:
    """Refuse a file the request may not apply: 403 naming what is out of its reach."""
    if acts_as_superuser(request):
        return
    token = getattr(request, "auth", None)
    if isinstance(token, ApiToken) and token.scope != ApiToken.Scope.ADMIN:
        raise exceptions.PermissionDenied("Applying a configuration needs an admin token.")
    names = [team["name"] for team in config["teams"]]
    if not names:
        raise exceptions.PermissionDenied("The file names no team: only a superuser may apply it.")
    teams = {team.name: team for team in Team.objects.filter(name__in=names)}
    new = [name for name in names if name not in teams]
    if new:
        raise exceptions.PermissionDenied(
            f"Only a superuser may create teams: {', '.join(map(repr, new))}."
        )
    theirs = [name for name, team in teams.items() if not team_allows(request, team.pk, ADMIN)]
    if theirs:
        raise exceptions.PermissionDenied(
            f"You are not an admin of {', '.join(map(repr, sorted(theirs)))}."
        )
    emails = [person["email"] for person in config["people"]]
    outside = (
        Person.objects.filter(user__email__in=emails)
        .exclude(memberships__team__in=teams.values())
        .values_list("user__email", flat=True)
    )
    if outside:
        raise exceptions.PermissionDenied(
            "The file names people who exist outside your teams: "
            f"{', '.join(sorted(outside)[:5])}; only a superuser may change them."
        )


def _token_name(request) -> str:
    token = getattr(request, "auth", None)
    return token.name if isinstance(token, ApiToken) else ""


class ConfigPlanView(_ConfigView):
    @extend_schema(
        request=ConfigRequest,
        parameters=QUERY,
        responses={200: PlanSerializer, 400: INVALID},
    )
    def post(self, request):
        """Plan a configuration file: what applying it would create, change and delete."""
        got = self._loaded(request)
        if isinstance(got, Response):
            return got
        loaded, options = got
        plan = config_plan(
            loaded=loaded, prune=options["prune"], now=clock.now(), name=options["name"]
        )
        return Response({**plan.as_dict(), "text": plan.text()})


class ConfigApplyView(_ConfigView):
    @extend_schema(
        request=ConfigRequest,
        parameters=QUERY,
        responses={200: AppliedSerializer, 400: INVALID},
    )
    def post(self, request):
        """Apply a configuration file: make the database match it, all or nothing."""
        got = self._loaded(request)
        if isinstance(got, Response):
            return got
        loaded, options = got
        try:
            applied = config_apply(
                loaded=loaded,
                prune=options["prune"],
                trust_verified=options["trust_verified"],
                now=clock.now(),
                origin=options["name"],
                actor=request.user,
                token_name=_token_name(request),
            )
        except ConfigInvalid as error:
            return _invalid(error)
        plan = applied.plan
        return Response(
            {
                **plan.as_dict(),
                "text": plan.text(),
                "applied": applied.written,
                "integrations": [
                    {
                        "service": new.service,
                        "kind": new.kind,
                        "name": new.name,
                        "token": new.token,
                        "url": new.url,
                    }
                    for new in applied.integrations
                ],
            }
        )
