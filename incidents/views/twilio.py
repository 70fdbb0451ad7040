"""Twilio's requests to us (CONTRACT.md): SMS replies, paging calls and status callbacks.

Every request must carry Twilio's signature of PUBLIC_URL + path (never the Host header, which
anyone can set); anything else gets 403 and changes nothing."""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.twiml.messaging_response import MessagingResponse

from incidents.services.bundles import bundle_status
from incidents.services.responses import sms_reply_once, voice_answer
from incidents.views.ingest import MAX_BODY_BYTES, form_unstorable
from oncall import clock
from oncall.channels.twilio import signature_valid


def _refused(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


def twilio_signed(view):
    """Let through only requests Twilio signed with the current (or previous) auth token."""

    @csrf_exempt
    @require_POST
    @wraps(view)
    def checked(request, *args, **kwargs):
        if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY_BYTES:
            return _refused(413, "payload_too_large", "The body is over 512 KiB.")
        tokens = [settings.TWILIO_AUTH_TOKEN, settings.TWILIO_AUTH_TOKEN_PREVIOUS]
        url = settings.PUBLIC_URL + request.get_full_path()
        if not signature_valid(
            url=url,
            params=request.POST.dict(),
            signature=request.META.get("HTTP_X_TWILIO_SIGNATURE", ""),
            tokens=tokens,
        ):
            return _refused(403, "bad_signature", "Missing or wrong X-Twilio-Signature.")
        problem = form_unstorable(request.POST)
        if problem:
            return _refused(400, "invalid_request", problem)
        return view(request, *args, **kwargs)

    return checked


@twilio_signed
def sms_receive(request):
    """An SMS reply: act on it, and answer by SMS with what happened (TwiML); a replayed one
    gets an empty answer and changes nothing."""
    answer = sms_reply_once(
        message_sid=request.POST.get("MessageSid", ""),
        from_number=request.POST.get("From", ""),
        text=request.POST.get("Body", ""),
        now=clock.now(),
    )
    twiml = MessagingResponse()
    if answer is not None:
        twiml.message(answer)
    return HttpResponse(str(twiml), content_type="text/xml")


@twilio_signed
def status_receive(request):
    """A delivery status callback for a page (its id is in the URL Twilio was given), and for
    the other pages the same text or call carried."""
    page = request.GET.get("page", "")
    if not page.isdigit():
        return _refused(400, "invalid_page", "The callback URL names no page.")
    bundle_status(
        page_id=int(page),
        provider_id=request.POST.get("MessageSid") or request.POST.get("CallSid", ""),
        status=request.POST.get("MessageStatus") or request.POST.get("CallStatus", ""),
        error_code=request.POST.get("ErrorCode", ""),
        now=clock.now(),
    )
    return HttpResponse(status=204)


@twilio_signed
def voice_receive(request, page_id: int):
    """A paging call asking what to say next, with the key pressed (if any): TwiML."""
    reading = request.GET.get("reading", "1")
    twiml = voice_answer(
        page_id=page_id,
        digits=request.POST.get("Digits", ""),
        answered_by=request.POST.get("AnsweredBy", ""),
        reading=int(reading) if reading.isdigit() else 1,
        action_url=f"{settings.PUBLIC_URL}/twilio/voice/{page_id}/",
        now=clock.now(),
        call_sid=request.POST.get("CallSid", ""),
    )
    return HttpResponse(twiml, content_type="text/xml")
