"""One error body for the whole API: {"error": {"code", "message", "fields"?}}."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.views import exception_handler

from oncall.services import InUse

# DRF's own codes, renamed where they would puzzle a person reading them.
CODES = {"authentication_failed": "not_authenticated", "parse_error": "invalid_json"}


def body(code: str, message: str, fields: dict | None = None) -> dict:
    """Return the error body; `fields` (what is wrong with each field) only when there are any."""
    error = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error}


class Conflict(exceptions.APIException):
    """The request is valid but the object's state forbids it (deleting a policy that services
    still use): 409, naming what stands in the way, and nothing is changed."""

    status_code = 409
    default_code = "conflict"
    default_detail = "The object is in use."


def _flatten(detail) -> str:
    if isinstance(detail, dict):
        return "; ".join(f"{key}: {_flatten(value)}" for key, value in detail.items())
    if isinstance(detail, list):
        return " ".join(_flatten(item) for item in detail)
    return str(detail)


def field_paths(detail, prefix: str = "") -> dict[str, list[str]]:
    """Return nested serializer errors keyed by the path of each field in the body, so that a
    nested write names the very field: {"layers": [{}, {"participants": [...]}]} becomes
    {"layers[1].participants": [...]}. Flat errors keep their keys."""
    if isinstance(detail, dict):
        found: dict[str, list[str]] = {}
        for key, value in detail.items():
            if isinstance(key, int):  # a ListField's child, by its index
                path = f"{prefix}[{key}]"
            elif key in ("non_field_errors", "__all__"):
                path = prefix or key
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            found.update(field_paths(value, path))
        return found
    if isinstance(detail, list) and any(isinstance(item, (dict, list)) for item in detail):
        found = {}
        for index, item in enumerate(detail):
            if item:  # a nested item without errors is an empty dict
                found.update(field_paths(item, f"{prefix}[{index}]"))
        return found
    messages = detail if isinstance(detail, list) else [detail]
    return {prefix or "__all__": [_flatten(message) for message in messages]}


def _validation(detail) -> tuple[str, dict]:
    nested_list = isinstance(detail, list) and any(isinstance(i, dict) for i in detail)
    if not isinstance(detail, dict) and not nested_list:  # a list body's items are nested
        return _flatten(detail) or "The request is not valid.", {}
    fields = field_paths(detail)
    general = fields.pop("non_field_errors", None) or fields.pop("__all__", None)
    if general:
        return " ".join(general), fields
    return f"Some fields are not valid: {', '.join(fields)}.", fields


def api_exception_handler(exc, context):
    """Render every API error as the one error body."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, (ProtectedError, RestrictedError)):
        held = getattr(exc, "protected_objects", None) or getattr(exc, "restricted_objects", ())
        users = sorted({str(obj) for obj in held})[:5]
        exc = Conflict(f"It is still used by {', '.join(users)}; change or delete those first.")
    elif isinstance(exc, InUse):
        exc = Conflict(exc.message)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        message, fields = _validation(exc.detail)
        response.data = body("invalid", message, fields)
        return response
    code = getattr(exc, "default_code", "error")
    detail = getattr(exc, "detail", str(exc))
    if isinstance(detail, exceptions.ErrorDetail) and detail.code:
        code = detail.code
    if isinstance(exc, exceptions.NotFound):
        detail = "Not found."  # the same words for a missing object and another team's
    response.data = body(CODES.get(str(code), str(code)), _flatten(detail))
    return response


@csrf_exempt  # it changes nothing; a CSRF refusal would answer with an HTML page
def api_not_found(request, *args, **kwargs):
    """Answer an unknown /api/ path with the API's error body, not an HTML page."""
    return JsonResponse(body("not_found", "There is no such API endpoint."), status=404)
