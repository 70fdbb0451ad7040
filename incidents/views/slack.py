"""Slack's requests to us (CONTRACT.md): slash commands and Block Kit button presses.

Each must carry Slack's v0 signature of its body, made within five minutes; anything else gets
403 and changes nothing. Each signed request acts once: a replay of it gets an empty 200.
Slack gives up after three seconds: each request is a few queries, and whatever needs Slack's
API is queued (incidents.services.slack).
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from incidents.services.slack import slack_command, slack_press
from incidents.slack import commands
from incidents.views.ingest import BodyTooLarge, form_unstorable, request_body
from oncall import clock
from oncall.channels.slack import signature_valid, timestamp_fresh
from oncall.replays import slack_request_take


def _refused(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


def slack_signed(view):
    """Let through only requests Slack signed with SLACK_SIGNING_SECRET in the last 300 s."""

    @csrf_exempt
    @require_POST
    @wraps(view)
    def checked(request, *args, **kwargs):
        try:
            body = request_body(request)
        except BodyTooLarge:
            return _refused(413, "payload_too_large", "The body is over 512 KiB.")
        timestamp = request.META.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
        if not signature_valid(
            body=body,
            timestamp=timestamp,
            signature=request.META.get("HTTP_X_SLACK_SIGNATURE", ""),
            secret=settings.SLACK_SIGNING_SECRET,
        ):
            return _refused(403, "bad_signature", "Missing or wrong X-Slack-Signature.")
        now = clock.now()
        if not timestamp_fresh(timestamp=timestamp, now=now):
            return _refused(
                403, "stale_request", "X-Slack-Request-Timestamp is more than 300 s from now."
            )
        problem = form_unstorable(request.POST)
        if problem:
            return _refused(400, "invalid_request", problem)
        # The signature is taken in the transaction of what the request does, so that of two
        # copies (a replay, a double submit) one acts; a refusal (4xx) keeps nothing, not even
        # the signature.
        with transaction.atomic():
            signature = request.META["HTTP_X_SLACK_SIGNATURE"]
            if not slack_request_take(signature=signature, timestamp=int(timestamp), now=now):
                return HttpResponse(status=200)  # handled already: Slack shows nothing
            response = view(request, *args, **kwargs)
            if response.status_code >= 400:
                transaction.set_rollback(True)
            return response

    return checked


@slack_signed
def command_receive(request):
    """A slash command: carry it out and answer at once (ephemeral unless for everyone)."""
    answer = slack_command(
        command=commands.command(request.POST.get("command", ""), request.POST.get("text", "")),
        user_id=request.POST.get("user_id", ""),
        now=clock.now(),
    )
    kind = "in_channel" if answer.public else "ephemeral"
    return JsonResponse({"response_type": kind, "text": answer.text})


@slack_signed
def interaction_receive(request):
    """A button press: act at once; the answer follows on the response_url."""
    try:
        pressed = commands.press(request.POST.get("payload", ""))
    except commands.InvalidPayload as error:
        return _refused(400, "invalid_payload", str(error))
    if pressed is not None:
        slack_press(press=pressed, now=clock.now())
    return HttpResponse(status=200)
