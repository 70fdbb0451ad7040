"""Who may see, edit, review and publish postmortems, and manage a team's postmortem settings:
one rule for the web pages and the API alike. A Django superuser may do everything."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from incidents.access import may_act
from incidents.models import Incident, Postmortem
from oncall.models import Membership, Person, Team

EDITING_ROLES = (Membership.Role.RESPONDER, Membership.Role.ADMIN)


def _person(user) -> Person | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, "person", None)


def _superuser(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_superuser)


def _role(user, team_id: int) -> str | None:
    person = _person(user)
    if person is None:
        return None
    return (
        Membership.objects.filter(person=person, team_id=team_id)
        .values_list("role", flat=True)
        .first()
    )


def postmortems_visible(user) -> QuerySet[Postmortem]:
    """Return the postmortems `user` may read: those of their teams, in any role (every one for
    a superuser). Another team's postmortem does not exist for them (404)."""
    if _superuser(user):
        return Postmortem.objects.all()
    person = _person(user)
    if person is None:
        return Postmortem.objects.none()
    return Postmortem.objects.filter(
        team_id__in=Membership.objects.filter(person=person).values("team_id")
    )


def can_edit_postmortem(user, postmortem: Postmortem) -> bool:
    """Whether `user` may edit the postmortem (its text, timeline, action items, reviewers): a
    responder or admin of its team."""
    return _superuser(user) or _role(user, postmortem.team_id) in EDITING_ROLES


def can_review(user, postmortem: Postmortem) -> bool:
    """Whether `user` was asked to review the postmortem."""
    person = _person(user)
    return person is not None and postmortem.reviewers.filter(person=person).exists()


def can_publish(user, postmortem: Postmortem) -> bool:
    """Whether `user` may publish the postmortem now: it is in review, and they are an admin of
    its team, or an editor of it once every reviewer approved."""
    if postmortem.status != Postmortem.Status.IN_REVIEW:
        return False
    if _superuser(user) or _role(user, postmortem.team_id) == Membership.Role.ADMIN:
        return True
    reviewers = postmortem.reviewers.all()
    approved = reviewers.exists() and not reviewers.filter(approved_at__isnull=True).exists()
    return approved and can_edit_postmortem(user, postmortem)


def can_start_postmortem(user, incidents: Iterable[Incident]) -> bool:
    """Whether `user` may start a postmortem of `incidents`: they may act on each one, and edit
    the postmortems of its team (someone of another team paged for it may not)."""
    incidents = list(incidents)
    if not incidents:
        return False
    if _superuser(user):
        return True
    person = _person(user)
    if person is None:
        return False
    teams = {incident.service.team_id for incident in incidents}
    roles = Membership.objects.filter(person=person, team_id__in=teams, role__in=EDITING_ROLES)
    if roles.count() != len(teams):
        return False
    return all(may_act(person=person, incident=incident) for incident in incidents)


def can_manage_postmortem_settings(user, team: Team) -> bool:
    """Whether `user` may change the team's postmortem template and policy: a team admin."""
    return _superuser(user) or _role(user, team.pk) == Membership.Role.ADMIN
