"""Writes: how each person wants to be reached (contact methods, proved by a code) and when
(notification rules)."""

from __future__ import annotations

import re
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from oncall import clock
from oncall.models import ContactMethod, LayerMember, NotificationRule, Person
from oncall.services._checks import KEEP, InUse, assign, listed
from oncall.verification import verification_allowed, verification_check, verification_request

PHONE_KINDS = (ContactMethod.Kind.SMS, ContactMethod.Kind.VOICE)
# What people write inside a phone number and E.164 leaves out: "+351 912-345 (678)".
PHONE_PUNCTUATION = re.compile(r"[\s().-]")


def _address(kind: str, address: str) -> str:
    address = address.strip()
    return PHONE_PUNCTUATION.sub("", address) if kind in PHONE_KINDS else address


def _check_unique(method: ContactMethod) -> None:
    twins = ContactMethod.objects.filter(
        person_id=method.person_id, kind=method.kind, address=method.address
    ).exclude(pk=method.pk)
    if twins.exists():
        raise ValidationError(
            {"address": f"{method.person} has this {method.get_kind_display()} address already."}
        )


@transaction.atomic
def contact_method_create(
    *, person: Person, kind: str, address: str, label: str = "", verified: bool = False
) -> ContactMethod:
    """Add a way to reach `person`. Unverified methods are never used for pages, so a new
    phone number, e-mail address or Slack member is sent a code (once this transaction commits)
    to prove it reaches them; `verified` skips that (an import, an admin's word)."""
    method = ContactMethod(
        person=person,
        kind=kind,
        address=_address(kind, address),
        label=label.strip(),
        verified_at=clock.now() if verified else None,
    )
    method.full_clean(validate_unique=False, validate_constraints=False)
    _check_unique(method)
    method.save()
    verification_request(method=method)
    return method


@transaction.atomic
def contact_method_update(
    *, method: ContactMethod, kind=KEEP, address=KEEP, label=KEEP, verified_at=KEEP
) -> ContactMethod:
    """Change a contact method. One moved to another address (or kind) must prove itself
    again: it loses its verification and is sent a new code once this commits, unless
    `verified_at` is given with the move."""
    kind = method.kind if kind is KEEP else kind
    if address is not KEEP:
        address = _address(kind, address)
    label = label.strip() if isinstance(label, str) else label
    changed = assign(method, kind=kind, address=address, label=label)
    moved = bool({"kind", "address"} & set(changed))
    if verified_at is not KEEP:
        changed += assign(method, verified_at=verified_at)
    elif moved:
        changed += assign(method, verified_at=None)
    if moved:
        # A code sent to the old address must not prove the new one.
        method.verification_digest = ""
        method.verification_expires_at = None
        method.verification_attempts = 0
    if not changed:
        return method
    method.full_clean(validate_unique=False, validate_constraints=False)
    _check_unique(method)
    method.save()
    if moved:
        verification_request(method=method)
    return method


@transaction.atomic
def contact_method_delete(*, method: ContactMethod) -> None:
    """Delete a contact method and the notification rules that use it. Refuse (InUse) to delete
    the last verified method of someone who takes turns in a layer: they could not be paged."""
    if method.verified_at is not None:
        verified = method.person.contact_methods.filter(verified_at__isnull=False)
        turns = LayerMember.objects.filter(person_id=method.person_id).select_related(
            "layer__schedule"
        )
        if not verified.exclude(pk=method.pk).exists() and turns.exists():
            layers = sorted({f"{t.layer.schedule.name} / {t.layer.name}" for t in turns})
            raise InUse(
                f"This is the last verified way to reach {method.person}, who takes turns in "
                f"{listed(layers)}; add and verify another first."
            )
    method.delete()


def contact_method_verification_send(*, method: ContactMethod, now: datetime) -> None:
    """Have a code sent to `method` (by a worker, once this commits). Refuse (ValidationError) a
    verified method, a voice number, or a second code within a minute of the last."""
    if method.verified_at is not None:
        raise ValidationError("This contact method is verified already.")
    try:
        verification_allowed(method=method, now=now)
    except ValidationError as error:  # about the method, not a field of the (empty) request
        raise ValidationError(error.messages) from error
    verification_request(method=method)


def contact_method_verify(*, method: ContactMethod, code: str, now: datetime) -> ContactMethod:
    """Verify `method` with the code sent to it; refuse (ValidationError) a wrong or expired
    code. Each try counts, even a refused one: there is no transaction to roll it back."""
    if method.verified_at is not None:
        return method
    if not verification_check(method=method, code=code, now=now):
        raise ValidationError(
            {"code": "The code is wrong or expired; check it, or ask for a new one."}
        )
    return method


def _check_rule(rule: NotificationRule) -> None:
    rule.full_clean(validate_unique=False, validate_constraints=False)
    twins = NotificationRule.objects.filter(
        contact_method_id=rule.contact_method_id,
        delay_minutes=rule.delay_minutes,
        urgency=rule.urgency,
    ).exclude(pk=rule.pk)
    if twins.exists():
        raise ValidationError(
            {"delay_minutes": "A rule already reaches this method after as many minutes."}
        )


@transaction.atomic
def notification_rule_create(
    *,
    contact_method: ContactMethod,
    delay_minutes: int,
    urgency: str = NotificationRule.Urgency.HIGH,
) -> NotificationRule:
    """Reach the owner of `contact_method` `delay_minutes` after they are paged."""
    rule = NotificationRule(
        person=contact_method.person,
        contact_method=contact_method,
        delay_minutes=delay_minutes,
        urgency=urgency,
    )
    _check_rule(rule)
    rule.save()
    return rule


@transaction.atomic
def notification_rule_update(
    *, rule: NotificationRule, contact_method=KEEP, delay_minutes=KEEP, urgency=KEEP
) -> NotificationRule:
    """Change when, how or for which urgency a rule reaches its person (by another method of
    theirs)."""
    if assign(rule, contact_method=contact_method, delay_minutes=delay_minutes, urgency=urgency):
        _check_rule(rule)
        rule.save()
    return rule


@transaction.atomic
def notification_rule_delete(*, rule: NotificationRule) -> None:
    """Stop a rule from reaching its person."""
    rule.delete()
