"""What the audit log records of the lower layer's configuration, and whose each object is: the
team it belongs to, or the person who owns it (who may read its entries)."""

from __future__ import annotations

from oncall.audit import audit_register
from oncall.models import (
    ApiToken,
    CalendarFeed,
    ContactMethod,
    CoverRequest,
    Layer,
    LayerMember,
    LayerRestriction,
    Membership,
    NotificationRule,
    Override,
    Person,
    Schedule,
    Team,
    TimeOff,
)


def connect() -> None:
    audit_register(Team, team="pk")
    audit_register(Membership, team="team", person="person")
    audit_register(Person, person="pk")
    # Noise control and verification bookkeeping (quiet_until, calls_at, verification_*) are
    # not editable, so never recorded: verified_at is.
    audit_register(ContactMethod, person="person")
    audit_register(NotificationRule, person="person")
    audit_register(Schedule, team="team")  # its version is bookkeeping, not editable
    audit_register(Layer, team="schedule__team")
    audit_register(LayerMember, team="layer__schedule__team")
    audit_register(LayerRestriction, team="layer__schedule__team")
    audit_register(Override, team="schedule__team")
    audit_register(CoverRequest, team="schedule__team", include=["status", "taken_at"])
    audit_register(TimeOff, person="person")
    # A revocation is recorded; the digest never is, nor the minute-by-minute last_used_at.
    audit_register(ApiToken, person="user__person", include=["revoked_at"])
    audit_register(
        CalendarFeed,
        team="schedule__team",
        person="person",
        include=["hint"],
        exclude=["last_used_at"],
    )
