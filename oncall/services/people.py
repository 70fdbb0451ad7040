"""Writes: people, their teams, and how they want to be reached."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from oncall import clock
from oncall.models import ContactMethod, Membership, NotificationRule, Person, Team
from oncall.verification import verification_request


@transaction.atomic
def person_create(
    *,
    username: str,
    display_name: str,
    time_zone: str = "UTC",
    locale: str = "en",
    email: str = "",
    password: str | None = None,
) -> Person:
    """Create a user who can log in (when given a password) and their on-call profile."""
    User = get_user_model()
    user = User(username=username, email=email)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    user.save()
    person = Person(user=user, display_name=display_name, time_zone=time_zone, locale=locale)
    person.full_clean()
    person.save()
    return person


def team_member_set(
    *, team: Team, person: Person, role: str = Membership.Role.RESPONDER
) -> Membership:
    """Make `person` a member of `team` with `role`, or change their role."""
    membership, _ = Membership.objects.update_or_create(
        team=team, person=person, defaults={"role": role}
    )
    return membership


def contact_method_create(
    *, person: Person, kind: str, address: str, label: str = "", verified: bool = False
) -> ContactMethod:
    """Add a way to reach `person`; unverified methods are never used for pages, so a new phone
    number is texted a code (once this transaction commits) to prove it reaches them."""
    method = ContactMethod(
        person=person,
        kind=kind,
        address=address.strip(),
        label=label,
        verified_at=clock.now() if verified else None,
    )
    method.full_clean()
    method.save()
    if method.kind == ContactMethod.Kind.SMS:
        verification_request(method=method)
    return method


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
    rule.full_clean()
    rule.save()
    return rule
