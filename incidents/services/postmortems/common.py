"""What every postmortem service shares: who acts for the audit log, and the rules of editing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from django.core.exceptions import ValidationError

from incidents.models import Postmortem
from oncall.audit import audit_context
from oncall.audit.context import acting
from oncall.models import Membership, Person

from .errors import PostmortemReadOnly, StaleRevision


@contextmanager
def acting_as(by: Person | None) -> Iterator:
    """Record what is done inside as done by `by`, unless the audit context already names
    someone (a request's user, who is `by` then too): a task or a shell names nobody."""
    current = acting()
    if by is None or current.actor().user_id is not None:
        yield
        return
    with audit_context(actor=by.user, source=current.source):
        yield


def aware(value, field: str) -> datetime:
    """Return `value` if it is a timezone-aware datetime; raise ValidationError naming `field`."""
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError({field: "Give a date and time with its offset."})
    return value


def locked(postmortem: Postmortem) -> Postmortem:
    """Return the postmortem's row locked for this transaction, as stored now."""
    return Postmortem.objects.select_for_update().get(pk=postmortem.pk)


def writable(postmortem: Postmortem, *, revision: int | None = None) -> Postmortem:
    """Lock and return `postmortem`; refuse a published one, or an edit from an older revision."""
    row = locked(postmortem)
    if row.status == Postmortem.Status.PUBLISHED:
        raise PostmortemReadOnly(row)
    if revision is not None and revision != row.revision:
        raise StaleRevision(row.revision)
    return row


def bump(row: Postmortem, *, now: datetime, fields: tuple[str, ...] = ()) -> Postmortem:
    """Save `row` as one more revision, changed at `now`."""
    row.revision += 1
    row.updated_at = now
    row.save(update_fields=["revision", "updated_at", *fields])
    return row


def team_member(person, team_id: int, field: str) -> Person:
    """Return `person` if they are in team `team_id`; raise ValidationError naming `field`."""
    if not isinstance(person, Person):
        raise ValidationError({field: "Name a person."})
    if not Membership.objects.filter(person=person, team_id=team_id).exists():
        raise ValidationError({field: f"{person.display_name} is not in the postmortem's team."})
    return person


def refresh(target: Postmortem, row: Postmortem) -> Postmortem:
    """Copy the stored row's state onto the caller's instance, so the caller sees the change.
    (Services write through the row they lock, never through the caller's instance.)"""
    if target is row:
        return row
    for field in Postmortem._meta.concrete_fields:
        setattr(target, field.attname, getattr(row, field.attname))
    return target
