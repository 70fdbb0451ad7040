"""Proving a contact method reaches its person: a code sent to it, typed back (in the profile, or
as an SMS reply from the number). Unverified methods are never used for pages.

Only the code's SHA-256 is kept; it works for CODE_LIFETIME and for MAX_ATTEMPTS wrong guesses,
and a new one can be asked for once a minute.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F

from oncall import clock
from oncall.audit import audit_action
from oncall.channels.base import ChannelError, Message, OutcomeUnknown
from oncall.channels.registry import channel_for
from oncall.models import ContactMethod
from oncall.pacing import paced_send

log = logging.getLogger(__name__)

SEND = "oncall.tasks.contact_verification_send"
CODE_LIFETIME = timedelta(minutes=15)
RESEND_AFTER = timedelta(minutes=1)
MAX_ATTEMPTS = 5
VERIFIABLE = (ContactMethod.Kind.SMS, ContactMethod.Kind.EMAIL, ContactMethod.Kind.SLACK)


def _digest(method: ContactMethod, code: str) -> str:
    key = f"{settings.SECRET_KEY}:contact:{method.pk}".encode()
    return hmac.new(key, code.encode(), hashlib.sha256).hexdigest()


def verification_request(*, method: ContactMethod) -> None:
    """Have a worker text (or mail, or message) `method` a code once this transaction commits:
    a web request does not wait for the provider. Nothing for a verified or unverifiable one."""
    if method.kind in VERIFIABLE and method.verified_at is None:
        transaction.on_commit(lambda: _queue(method.pk))


def _queue(method_id: int) -> None:
    from oncall.config.celery import app

    try:
        app.send_task(SEND, args=[method_id])
    except Exception as error:  # the method is saved; the person can ask for a code again
        log.warning("verification code for contact method %s not queued: %s", method_id, error)


def verification_send(*, method_id: int) -> bool:
    """Send the code a worker was asked to send; False when there is nothing to send (verified
    meanwhile, deleted, a code sent within the minute) or the provider refused it."""
    method = ContactMethod.objects.filter(pk=method_id, verified_at__isnull=True).first()
    if method is None:
        return False
    try:
        verification_start(method=method, now=clock.now())
    except ValidationError:
        return False
    except (ChannelError, OutcomeUnknown) as error:
        log.warning("verification code for contact method %s not sent: %s", method_id, error)
        return False
    return True


def verification_allowed(*, method: ContactMethod, now: datetime) -> None:
    """Refuse (ValidationError) to send `method` a code: a kind that cannot carry one, or a
    second code within a minute of the last."""
    if method.kind not in VERIFIABLE:
        raise ValidationError({"kind": "A voice number is verified through its SMS twin."})
    sent_at = method.verification_expires_at and method.verification_expires_at - CODE_LIFETIME
    if sent_at and now - sent_at < RESEND_AFTER:
        raise ValidationError({"code": "A code was sent less than a minute ago; wait for it."})


def verification_start(*, method: ContactMethod, now: datetime) -> None:
    """Send a new code to `method`, unless verification_allowed refuses."""
    verification_allowed(method=method, now=now)
    code = f"{secrets.randbelow(10**6):06d}"
    method.verification_digest = _digest(method, code)
    method.verification_expires_at = now + CODE_LIFETIME
    method.verification_attempts = 0
    method.save(
        update_fields=[
            "verification_digest",
            "verification_expires_at",
            "verification_attempts",
        ]
    )
    text = f"Plantao: your verification code is {code}. It works for 15 minutes."
    paced_send(
        channel_for(method.kind),
        Message(
            reference=f"verify-{method.pk}-{int(now.timestamp())}",
            kind=method.kind,
            address=method.address,
            subject="Plantao verification code",
            body=text,
        ),
    )


def verification_check(*, method: ContactMethod, code: str, now: datetime) -> bool:
    """Verify `method` if `code` is the one sent to it, in time and within the attempts."""
    expires = method.verification_expires_at
    if not method.verification_digest or expires is None or now >= expires:
        return False
    # Take a try before the code is judged, in one conditional UPDATE: of any number of guesses
    # at once, from any number of workers, only MAX_ATTEMPTS are ever judged.
    if not ContactMethod.objects.filter(
        pk=method.pk,
        verification_digest=method.verification_digest,
        verification_attempts__lt=MAX_ATTEMPTS,
    ).update(verification_attempts=F("verification_attempts") + 1):
        return False
    method.verification_attempts = min(method.verification_attempts + 1, MAX_ATTEMPTS)
    if not hmac.compare_digest(method.verification_digest, _digest(method, code.strip())):
        return False
    method.verified_at = now
    method.verification_digest = ""
    method.verification_expires_at = None
    # Saved row by row (not a bare UPDATE), so the audit log records each verification.
    with audit_action("verify"):
        method.save(update_fields=["verified_at", "verification_digest", "verification_expires_at"])
        if method.kind == ContactMethod.Kind.SMS:
            # The number answered: its calls reach the same phone (the voice method's SMS twin).
            for twin in ContactMethod.objects.filter(
                person_id=method.person_id,
                kind=ContactMethod.Kind.VOICE,
                address=method.address,
                verified_at__isnull=True,
            ):
                twin.verified_at = now
                twin.save(update_fields=["verified_at"])
    return True


def verification_by_reply(*, number: str, text: str, now: datetime) -> ContactMethod | None:
    """Verify the unverified SMS method of `number` whose code is `text`; return it, or None."""
    code = text.strip()
    if not (len(code) == 6 and code.isdigit()):
        return None
    for method in ContactMethod.objects.filter(
        kind=ContactMethod.Kind.SMS, address=number, verified_at__isnull=True
    ).exclude(verification_digest=""):
        if verification_check(method=method, code=code, now=now):
            return method
    return None
