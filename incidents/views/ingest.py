"""Inbound alerts (CONTRACT.md "Inbound endpoints"): size, token, rate, payload, then one write
(`alerts_store`) for the whole request. Any refusal is a 4xx with a JSON body and stores nothing.

Each endpoint is two steps: `*_take` checks the request and returns its refusal or its `Write`;
the view then stores that write in a transaction of its own. In production the web tier's ingest
lane (views/ingest_lane.py) calls the same `*_take` and stores the writes of concurrent requests
in one shared transaction (services/group_commit.py).

/v2/enqueue speaks PagerDuty's dialect (its token is in the body, its errors are a list); the
/integrations/… endpoints share Plantão's error shape: {"error": {"code", "message", "fields"}}.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from django.core.exceptions import RequestDataTooBig, ValidationError
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from incidents.ingest import alertmanager, grafana, pagerduty, webhook
from incidents.ingest.base import InvalidPayload
from incidents.ingest.body import json_decode, unstorable
from incidents.models import Alert, Integration
from incidents.services.alerts import alerts_store
from incidents.services.group_commit import Write, write_alone
from incidents.services.integrations import heartbeat_ping, integration_authenticate
from incidents.tallies import ingest_counted
from incidents.throttle import throttle_check
from oncall import clock

MAX_BODY_BYTES = 512 * 1024
PARSERS = {
    Integration.Kind.ALERTMANAGER: alertmanager.parse,
    Integration.Kind.GRAFANA: grafana.parse,
    Integration.Kind.WEBHOOK: lambda body: [webhook.parse(body)],
}
UNKNOWN_INTEGRATION = (
    "No integration has this token. Check the URL; a token is shown once, when the "
    "integration is created or rotated (manage.py integration create / rotate)."
)


class BodyTooLarge(Exception):
    pass


def form_unstorable(fields) -> str | None:
    """Say which form field holds what PostgreSQL cannot store (a NUL), or None; signed
    requests are checked too: the signature proves who sent them, not that they are sane."""
    for name, values in fields.lists():
        problem = next(filter(None, map(unstorable, values)), None)
        if problem:
            return f"The field {name} {problem}."
    return None


def request_body(request) -> bytes:
    """Return the body, refusing one over MAX_BODY_BYTES before and after reading it."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0  # the WSGI server would have refused it; the read below still caps it
    if declared > MAX_BODY_BYTES:
        raise BodyTooLarge
    try:
        body = request.body
    except RequestDataTooBig as error:
        raise BodyTooLarge from error
    if len(body) > MAX_BODY_BYTES:
        raise BodyTooLarge
    return body


def _error(status: int, code: str, message: str, fields: dict | None = None, **extra):
    body = {"error": {"code": code, "message": message, **extra}}
    if fields is not None:
        body["error"]["fields"] = fields
    return JsonResponse(body, status=status)


def _method_not_allowed(allowed: tuple[str, ...]):
    response = _error(
        405, "method_not_allowed", f"Use {' or '.join(allowed)}.", {"method": "not allowed"}
    )
    response["Allow"] = ", ".join(allowed)
    return response


def _too_large():
    return _error(
        413,
        "payload_too_large",
        f"The body is over {MAX_BODY_BYTES // 1024} KiB.",
        {"body": f"at most {MAX_BODY_BYTES} bytes"},
    )


def _rate_limited(integration: Integration, wait: int):
    response = _error(
        429,
        "rate_limited",
        f"Over {integration.rate_limit_per_second} requests a second for this integration; "
        f"retry in {wait} s.",
        retry_after=wait,
    )
    response["Retry-After"] = str(wait)
    return response


def _invalid(error: InvalidPayload | ValidationError):
    if isinstance(error, ValidationError):
        fields = error.message_dict if hasattr(error, "error_dict") else {}
        fields = {name: " ".join(problems) for name, problems in fields.items()}
        return _error(400, "invalid_payload", " ".join(error.messages), fields)
    return _error(400, "invalid_payload", error.message, error.fields)


def _integration(request, kind: str, token: str, now):
    """Return (integration, body, None) for a request to go on with, else (None, None, refusal)."""
    try:
        raw = request_body(request)
    except BodyTooLarge:
        return None, None, _too_large()
    integration = integration_authenticate(token=token, now=now)
    # A token of another kind is as unknown here as no token at all: say nothing about it.
    if integration is None or integration.kind != kind:
        return (
            None,
            None,
            _error(404, "unknown_integration", UNKNOWN_INTEGRATION, {"token": "unknown"}),
        )
    wait = throttle_check(integration=integration, now=now)
    if wait is not None:
        return None, None, _rate_limited(integration, wait)
    return integration, raw, None


def _deduplicated(events, results) -> bool:
    """Say whether every alert of the request joined an incident already open (counted apart
    on /metrics: a flapping source shows as deduplicated requests, not new incidents)."""
    triggers = [r for e, r in zip(events, results, strict=True) if e.action == Alert.Action.TRIGGER]
    return bool(triggers) and not any(r.created for r in triggers)


def _accepted(events, results):
    alerts = [{"dedup_key": r.dedup_key, "incident": r.incident_number} for r in results]
    response = JsonResponse({"status": "accepted", "alerts": alerts}, status=202)
    if _deduplicated(events, results):
        response.ingest_outcome = "deduplicated"
    return response


def _invalid_or_none(error: Exception):
    return _invalid(error) if isinstance(error, InvalidPayload | ValidationError) else None


def _store(integration: Integration, events, now) -> Callable[[], list]:
    return partial(alerts_store, integration=integration, events=events, now=now)


def _order(integration: Integration, events) -> tuple:
    """The place of a request's write in a group (services/group_commit.py): by service and key,
    the same order in every process."""
    return (integration.service_id, min((e.dedup_key or "" for e in events), default=""))


def alerts_take(request, kind: str, token: str) -> HttpResponse | Write:
    """Check an Alertmanager, Grafana or generic webhook request: its refusal, or its write."""
    if request.method != "POST":
        return _method_not_allowed(("POST",))
    now = clock.now()
    integration, raw, refusal = _integration(request, kind, token, now)
    if refusal is not None:
        return refusal
    try:
        body = json_decode(raw)
    except InvalidPayload as error:
        return _error(400, "invalid_json", error.message, error.fields)
    try:
        events = PARSERS[kind](body)
    except (InvalidPayload, ValidationError) as error:
        return _invalid(error)
    return Write(
        run=_store(integration, events, now),
        answer=partial(_accepted, events),
        refuse=_invalid_or_none,
        order=_order(integration, events),
    )


@csrf_exempt
@ingest_counted()
def alerts_receive(request, kind: str, token: str):
    """Take an Alertmanager, Grafana or generic webhook request: 202 and the incidents touched."""
    return answered(alerts_take(request, kind, token))


def _pinged(due):
    return JsonResponse({"status": "ok", "next_ping_before": due.isoformat() if due else None})


def heartbeat_take(request, token: str) -> HttpResponse | Write:
    """Check a heartbeat ping (GET or POST, any body): its refusal, or its write."""
    if request.method not in ("GET", "POST"):
        return _method_not_allowed(("GET", "POST"))
    now = clock.now()
    integration, _, refusal = _integration(request, Integration.Kind.HEARTBEAT, token, now)
    if refusal is not None:
        return refusal
    return Write(
        run=partial(heartbeat_ping, integration=integration, now=now),
        answer=_pinged,
        order=(integration.service_id, ""),
    )


@csrf_exempt
@ingest_counted(Integration.Kind.HEARTBEAT)
def heartbeat_receive(request, token: str):
    """Take a heartbeat ping (GET or POST, any body): 200 and when the next one is due."""
    return answered(heartbeat_take(request, token))


def _pagerduty_refusal(status: int, errors: list[str], message: str = "Event object is invalid"):
    return JsonResponse(
        {"status": "invalid event", "message": message, "errors": errors}, status=status
    )


def _pagerduty_invalid(error: Exception):
    if isinstance(error, InvalidPayload):
        return _pagerduty_refusal(400, list(error.fields.values()))
    if isinstance(error, ValidationError):
        return _pagerduty_refusal(400, error.messages)
    return None


def _pagerduty_accepted(event, results):
    [result] = results
    response = JsonResponse(
        {"status": "success", "message": "Event processed", "dedup_key": result.dedup_key},
        status=202,
    )
    if _deduplicated([event], [result]):
        response.ingest_outcome = "deduplicated"
    return response


def pagerduty_take(request) -> HttpResponse | Write:
    """Check a PagerDuty Events API v2 request: its refusal ("invalid event", 429), or its write."""
    if request.method != "POST":
        response = _pagerduty_refusal(405, ["Use POST"], message="Method not allowed")
        response["Allow"] = "POST"
        return response
    now = clock.now()
    try:
        raw = request_body(request)
    except BodyTooLarge:
        return _pagerduty_refusal(
            413, [f"Request body is over {MAX_BODY_BYTES // 1024} KiB"], "Event is too large"
        )
    try:
        body = json_decode(raw)
    except InvalidPayload as error:
        return _pagerduty_refusal(400, [error.message])
    try:
        token = pagerduty.routing_key(body)
    except InvalidPayload as error:
        return _pagerduty_refusal(400, list(error.fields.values()))
    integration = integration_authenticate(token=token, now=now)
    if integration is None or integration.kind != Integration.Kind.PAGERDUTY:
        response = _pagerduty_refusal(400, ["Invalid routing key"])
        response.ingest_outcome = "unauthorized"
        return response
    wait = throttle_check(integration=integration, now=now)
    if wait is not None:
        response = JsonResponse(
            {
                "status": "throttle event",
                "message": "Requests for this service are arriving too quickly. "
                f"Please retry in {wait} s.",
            },
            status=429,
        )
        response["Retry-After"] = str(wait)
        return response
    try:
        event = pagerduty.parse(body)
    except InvalidPayload as error:
        return _pagerduty_refusal(400, list(error.fields.values()))
    return Write(
        run=_store(integration, [event], now),
        answer=partial(_pagerduty_accepted, event),
        refuse=_pagerduty_invalid,
        order=_order(integration, [event]),
    )


@csrf_exempt
@ingest_counted(Integration.Kind.PAGERDUTY)
def pagerduty_enqueue(request):
    """PagerDuty Events API v2: 202 with the dedup_key, 400 "invalid event", 429 when too fast."""
    return answered(pagerduty_take(request))


def answered(taken: HttpResponse | Write) -> HttpResponse:
    """Return the reply to a checked request, storing its write alone first if it has one."""
    return write_alone(taken) if isinstance(taken, Write) else taken


# The views the web tier's ingest lane (views/ingest_lane.py) serves: the function that checks
# their requests, and the integration kind they count under (None: the URL's `kind`).
TAKES = {
    alerts_receive: (alerts_take, None),
    heartbeat_receive: (heartbeat_take, Integration.Kind.HEARTBEAT),
    pagerduty_enqueue: (pagerduty_take, Integration.Kind.PAGERDUTY),
}
