"""OpenAPI: the bearer scheme, a summary for every operation, and the errors each may give."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, inline_serializer
from rest_framework import serializers


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "oncall.api.auth.BearerTokenAuthentication"
    name = "bearer"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A token from `manage.py apitoken create USERNAME --scope read`: "
            "`Authorization: Bearer plt_…`.",
        }


ErrorBody = inline_serializer(
    name="Error",
    fields={
        "error": inline_serializer(
            name="ErrorDetail",
            fields={
                "code": serializers.CharField(help_text="snake_case, for programs."),
                "message": serializers.CharField(help_text="For a person."),
                "fields": serializers.DictField(
                    child=serializers.ListField(child=serializers.CharField()),
                    required=False,
                    help_text="What is wrong with each field (validation errors only).",
                ),
            },
        )
    },
)


def _error(status: int, code: str, message: str, fields=None) -> OpenApiResponse:
    error = {"code": code, "message": message} | ({"fields": fields} if fields else {})
    return OpenApiResponse(
        response=ErrorBody,
        description=message,
        examples=[
            OpenApiExample(
                code, value={"error": error}, response_only=True, status_codes=[str(status)]
            )
        ],
    )


ERRORS = {
    400: _error(
        400,
        "invalid",
        "Some fields are not valid: since.",
        {"since": ["Give a time zone, for example 2026-03-29T08:00:00Z."]},
    ),
    401: _error(401, "not_authenticated", "The token is not valid."),
    403: _error(403, "permission_denied", "You need the responder role in the team to declare."),
    404: _error(404, "not_found", "Not found."),
    409: _error(409, "conflict", "#42 is already acknowledged"),
    429: _error(429, "throttled", "Request was throttled. Expected available in 3 seconds."),
}


def error_answer(status: int, code: str, message: str) -> OpenApiResponse:
    """Document an error answer an operation gives in words of its own, with its example."""
    return _error(status, code, message)


class ApiAutoSchema(AutoSchema):
    """Document every operation the same way: a summary (its docstring's first line) and the
    error answers it may give, each with an example."""

    def get_summary(self):
        summary = super().get_summary()
        if summary:
            return summary
        description = (super().get_description() or "").strip()
        first = description.split("\n", 1)[0].rstrip(".")
        if first and getattr(self.view, "action", None) == "retrieve":
            return f"One of {first[0].lower()}{first[1:]}"
        return first or None

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        method = self.method.upper()
        wanted = [400, 401, 403, 404, 429] if method != "GET" else [400, 401, 404, 429]
        for status in wanted:
            if str(status) not in responses:
                responses[str(status)] = self._get_response_for_code(ERRORS[status], str(status))
        return responses
