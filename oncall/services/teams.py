"""Writes: teams, and who is in each with which role."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from oncall.models import Membership, Person, Team
from oncall.services._checks import KEEP, InUse, assign, listed
from oncall.uses import person_uses, team_uses

ADMIN = Membership.Role.ADMIN


@transaction.atomic
def team_create(
    *, name: str, slug: str = "", slack_channel: str = "", admin: Person | None = None
) -> Team:
    """Create a team (its slug made from its name unless given); `admin`, the person creating
    it if any, becomes its first admin."""
    name = name.strip()
    slug = slug or slugify(name)
    if name and not slug:
        raise ValidationError({"slug": "Give a slug: the name has no letters to make one from."})
    team = Team(name=name, slug=slug, slack_channel=slack_channel.strip())
    team.full_clean()
    team.save()
    if admin is not None:
        team_member_add(team=team, person=admin, role=ADMIN)
    return team


@transaction.atomic
def team_update(
    *,
    team: Team,
    name=KEEP,
    slug=KEEP,
    slack_channel=KEEP,
    manager=KEEP,
    rest_after_sleep_pages=KEEP,
    rest_notice_nights=KEEP,
) -> Team:
    """Change the team's name, slug, Slack channel, manager (a member, or None) or rest
    protection: the sleep-hours pages in one night after which the person's next night is offered
    to the team, and the nights woken of the last 7 after which the manager is told (None: off)."""
    if manager not in (KEEP, None) and not team.memberships.filter(person=manager).exists():
        raise ValidationError({"manager": f"{manager} is not a member of the team."})
    name = name.strip() if isinstance(name, str) else name
    if assign(
        team,
        name=name,
        slug=slug,
        slack_channel=slack_channel,
        manager=manager,
        rest_after_sleep_pages=rest_after_sleep_pages,
        rest_notice_nights=rest_notice_nights,
    ):
        team.full_clean()
        team.save()
    return team


@transaction.atomic
def team_delete(*, team: Team) -> None:
    """Delete a team that holds nothing more than its memberships; refuse (InUse) while it
    still has schedules, escalation policies or services, naming them."""
    uses = team_uses(team=team)
    if uses:
        raise InUse(f"The team still has {listed(uses)}; delete or move those first.")
    team.delete()


@transaction.atomic
def team_member_add(
    *, team: Team, person: Person, role: str = Membership.Role.RESPONDER
) -> Membership:
    """Make `person` a member of `team` with `role`; refuse one who is in it already."""
    if not person.user.is_active:
        raise ValidationError({"person": f"{person} is archived."})
    if team.memberships.filter(person=person).exists():
        raise ValidationError(
            {"person": f"{person} is a member of the team already; change their role instead."}
        )
    membership = Membership(team=team, person=person, role=role)
    membership.full_clean(validate_unique=False)  # checked above, with a message for a person
    membership.save()
    return membership


def _last_admin(membership: Membership) -> bool:
    """Whether `membership` holds the team's last admin role, the team's admins locked until the
    transaction ends so that two admins cannot step down at once."""
    if membership.role != ADMIN:
        return False
    admins = Membership.objects.select_for_update().filter(team_id=membership.team_id, role=ADMIN)
    return [m.pk for m in admins] == [membership.pk]


@transaction.atomic
def team_member_role_set(*, membership: Membership, role: str) -> Membership:
    """Give a member another role; the team's last admin stays one (InUse)."""
    if role != ADMIN and _last_admin(membership):
        raise InUse(
            f"{membership.person} is the team's last admin; make someone else an admin first."
        )
    if assign(membership, role=role):
        membership.full_clean(validate_unique=False)
        membership.save()
    return membership


@transaction.atomic
def team_member_remove(*, membership: Membership, now: datetime) -> None:
    """Take a person out of a team. Refuse (InUse) to remove the team's last admin, or someone
    the team's schedules or policies still rely on, naming what does."""
    person, team = membership.person, membership.team
    if _last_admin(membership):
        raise InUse(f"{person} is the team's last admin; make someone else an admin first.")
    uses = person_uses(person=person, now=now, within=team)
    if uses:
        raise InUse(f"{person} is still in {listed(uses)}; take them out of those first.")
    if team.manager_id == person.pk:
        team.manager = None
        team.save(update_fields=["manager"])
    membership.delete()


def team_member_set(
    *, team: Team, person: Person, role: str = Membership.Role.RESPONDER
) -> Membership:
    """Make `person` a member of `team` with `role`, or change their role (fixtures, demo)."""
    membership, _ = Membership.objects.update_or_create(
        team=team, person=person, defaults={"role": role}
    )
    return membership
