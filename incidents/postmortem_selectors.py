"""Reads for postmortems: one postmortem whole, the lists, the incidents still owed one, and
action items that are late."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from zoneinfo import ZoneInfo

from django.db.models import Count, F, Prefetch, Q, QuerySet

from incidents.access import incidents_visible
from incidents.models import (
    ActionItem,
    Incident,
    Postmortem,
    PostmortemEntry,
    PostmortemReviewer,
)
from incidents.models.choices import Severity
from incidents.postmortem_access import postmortems_visible
from oncall import clock
from oncall.models import Person, Team


def postmortem_detail(*, postmortem_id: int, user) -> Postmortem | None:
    """Return the postmortem with its incidents, sections, timeline (with each entry's
    incident), reviewers and action items (with owners), in six queries whatever their
    number; None if there is none, or `user` may not see it."""
    return (
        postmortems_visible(user)
        .select_related("team", "created_by")
        .prefetch_related(
            Prefetch(
                "incidents", queryset=Incident.objects.select_related("service").order_by("pk")
            ),
            "sections",
            Prefetch(
                "entries",
                queryset=PostmortemEntry.objects.select_related("incident", "added_by").order_by(
                    "at", "id"
                ),
            ),
            Prefetch(
                "reviewers",
                queryset=PostmortemReviewer.objects.select_related("person").order_by("id"),
            ),
            Prefetch("action_items", queryset=ActionItem.objects.select_related("owner")),
        )
        .filter(pk=postmortem_id)
        .first()
    )


def postmortem_of_incident(*, incident: Incident, user) -> Postmortem | None:
    """Return the postmortem `incident` is in, if `user` may see it (for the incident's page)."""
    return postmortems_visible(user).filter(links__incident=incident).first()


def postmortem_list(*, user, team: Team | None = None, status: str | None = None) -> QuerySet:
    """Return the postmortems `user` may see, newest first, of `team` and in `status` if given,
    each with its incident count and its open action item count."""
    postmortems = postmortems_visible(user).select_related("team", "created_by")
    if team is not None:
        postmortems = postmortems.filter(team=team)
    if status:
        postmortems = postmortems.filter(status=status)
    return postmortems.annotate(
        incident_count=Count("links", distinct=True),
        open_action_count=Count(
            "action_items",
            filter=Q(action_items__status__in=ActionItem.NOT_DONE),
            distinct=True,
        ),
    ).order_by("-created_at", "-id")


def incidents_needing_postmortem(*, user, team: Team | None = None) -> QuerySet[Incident]:
    """Return the resolved critical incidents `user` may see, of teams whose policy requires a
    postmortem for them, that are in none yet; the most recently resolved first."""
    incidents = incidents_visible(user=user).filter(
        status=Incident.Status.RESOLVED,
        severity=Severity.CRITICAL,
        service__team__postmortem_settings__required_for_critical=True,
        postmortem_link__isnull=True,
    )
    if team is not None:
        incidents = incidents.filter(service__team=team)
    return incidents.select_related("service__team").order_by("-resolved_at", "-id")


def today_for(person: Person | None) -> date:
    """Return today's date where `person` lives (UTC for nobody)."""
    zone = ZoneInfo(person.time_zone) if person is not None else ZoneInfo("UTC")
    return clock.now().astimezone(zone).date()


def action_items_overdue(
    *, team: Team | None = None, today_of: Callable[[Person | None], date] = today_for
) -> QuerySet[ActionItem]:
    """Return the action items not done whose due date is before today where their owner lives
    (`today_of(owner)`), by due date."""
    items = ActionItem.objects.filter(status__in=ActionItem.NOT_DONE, due_on__isnull=False)
    if team is not None:
        items = items.filter(postmortem__team=team)
    candidates = items.select_related("owner").only("pk", "due_on", "owner__time_zone")
    late = [item.pk for item in candidates if item.due_on < today_of(item.owner)]
    return (
        ActionItem.objects.filter(pk__in=late)
        .select_related("owner", "postmortem__team")
        .order_by("due_on", "id")
    )


def action_items_of_team(*, team: Team) -> QuerySet[ActionItem]:
    """Return the team's action items, those not done first, then by due date (none last)."""
    return (
        ActionItem.objects.filter(postmortem__team=team)
        .select_related("owner", "postmortem")
        .annotate(done_last=Q(status__in=[ActionItem.Status.DONE, ActionItem.Status.CANCELLED]))
        .order_by("done_last", F("due_on").asc(nulls_last=True), "id")
    )
