"""Who may act on an incident: one rule, for every entry point (SMS replies, calls, Slack,
e-mail links, the API, the web's buttons), so that they can never disagree.

A Django superuser acts on every incident. A viewer of the incident's team never acts. Anyone
else acts on an incident of a team they respond for (a responder or an admin), or on one that
paged them or asked them to help: a page is an invitation to answer it, whatever the team.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from incidents.models import Incident, Page, Responder
from oncall import selectors
from oncall.models import Membership, Person


class ActionRefused(Exception):
    """`person` may not act on the incident (or it does not exist: the two look alike, so a
    stranger learns nothing from the answer). `message` is for a person."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def refusal(number: int) -> ActionRefused:
    """Return the refusal for #number, the same whether it exists or not."""
    return ActionRefused(
        f"#{number} does not exist, or you are not a responder or admin of its team, "
        "nor paged for it. Nothing was changed."
    )


def incidents_actable(person: Person | None) -> QuerySet[Incident]:
    """Return the incidents `person` may act on."""
    if person is None:
        return Incident.objects.none()
    if selectors.is_superuser(person):
        return Incident.objects.all()
    viewing = Membership.objects.filter(person=person, role=Membership.Role.VIEWER)
    return Incident.objects.exclude(service__team_id__in=viewing.values("team_id")).filter(
        Q(service__team_id__in=selectors.teams_acted_for(person=person))
        | Q(pk__in=Page.objects.filter(person=person).values("incident_id"))
        | Q(pk__in=Responder.objects.filter(person=person).values("incident_id"))
    )


def incidents_visible(*, user) -> QuerySet[Incident]:
    """Return the incidents `user` may see on the web: every one for a superuser; otherwise
    those of the teams their person belongs to, in any role, and those that paged them or asked
    them to help. Another team's incident does not exist for them (404), as in the API."""
    if user is None or not user.is_authenticated:
        return Incident.objects.none()
    if user.is_superuser:
        return Incident.objects.all()
    person = getattr(user, "person", None)
    if person is None:
        return Incident.objects.none()
    teams = Membership.objects.filter(person=person).values("team_id")
    return Incident.objects.filter(
        Q(service__team_id__in=teams)
        | Q(pk__in=Page.objects.filter(person=person).values("incident_id"))
        | Q(pk__in=Responder.objects.filter(person=person).values("incident_id"))
    )


def may_act(*, person: Person | None, incident: Incident) -> bool:
    """Whether `person` may act on `incident`."""
    return incidents_actable(person).filter(pk=incident.pk).exists()


def access_incident(*, person: Person | None, number: int) -> Incident:
    """Return incident #number for `person` to act on; raise ActionRefused when it does not
    exist or they may not."""
    incident = incidents_actable(person).select_related("service").filter(pk=number).first()
    if incident is None:
        raise refusal(number)
    return incident
