"""Reads for the incident pages: the board of open and recent incidents, and one incident whole.

What a page viewer sees of a contact address is decided here, not in a template: the rows this
module returns carry masked addresses only, so no template can show a full number by mistake.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, QuerySet

from incidents.access import incidents_visible
from incidents.models import Alert, Incident, Page, Service, TimelineEntry
from oncall import selectors as oncall_selectors
from oncall.models import ContactMethod, Membership, Person
from oncall.redaction import VISIBLE_TAIL, address_mask

RESOLVED_SHOWN = 20
ALERTS_SHOWN = 5
OPEN_SHOWN = 50  # the dashboard's; the incident list shows every one


@dataclass(frozen=True)
class IncidentBoard:
    open: list[Incident]  # newest first
    resolved: list[Incident]  # the most recently resolved first


@dataclass(frozen=True)
class TimelineRow:
    at: datetime
    kind: str
    kind_label: str
    source_label: str
    actor_name: str
    message: str  # contact addresses masked


@dataclass(frozen=True)
class PageRow:
    """A page as a viewer may see it: its address masked, its error scrubbed of the address."""

    kind: str
    kind_label: str
    step: int  # -1 for an added responder
    loop: int
    person_name: str
    address: str
    state: str
    state_label: str
    error: str
    due_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    failed_at: datetime | None

    @property
    def step_label(self) -> str:
        return "Responder" if self.step < 0 else f"Step {self.step + 1}, pass {self.loop + 1}"


@dataclass(frozen=True)
class IncidentDetail:
    incident: Incident
    alert_count: int
    alerts: list[Alert]  # the latest ALERTS_SHOWN, latest first
    timeline: list[TimelineRow]  # in order
    pages: list[PageRow]  # by due time


def _scrub(text: str, masks: dict[str, str]) -> str:
    # A provider's error may quote the number it refused ("+1212..." or "1212..."), and the
    # timeline's failure entries quote the error.
    for address, masked in masks.items():
        text = text.replace(address, masked)
    return text


def _masks(pages: list[Page]) -> dict[str, str]:
    masks = {}
    for page in pages:
        if not page.address:
            continue
        masked = address_mask(page.kind, page.address)
        masks[page.address] = masked
        if page.address.startswith("+") and len(page.address) > VISIBLE_TAIL + 1:
            masks[page.address[1:]] = masked
    # Longest first, so "+1212..." is replaced whole before its "1212..." tail is looked for.
    return dict(sorted(masks.items(), key=lambda item: len(item[0]), reverse=True))


def _label(choices, value: str) -> str:
    return choices(value).label if value in choices.values else value


def _incidents(user):
    # Only what `user` may see: the web's rule for reading, in one place (incidents/access.py).
    return incidents_visible(user=user).select_related("service", "acknowledged_by", "resolved_by")


def incidents_board(*, user, resolved_shown: int = RESOLVED_SHOWN) -> IncidentBoard:
    """Return the open incidents `user` may see, newest first, and the most recently resolved
    ones."""
    shown = _incidents(user).exclude(kind=Incident.Kind.REHEARSAL)  # a storm would bury the rest
    open_ = shown.filter(status__in=Incident.OPEN).order_by("-created_at", "-id")
    resolved = shown.filter(status=Incident.Status.RESOLVED).order_by("-resolved_at", "-id")[
        :resolved_shown
    ]
    return IncidentBoard(open=list(open_), resolved=list(resolved))


def incidents_filtered(
    *,
    user,
    status: str | None = None,
    service=None,
    team=None,
    urgency: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[Incident]:
    """Return the incidents `user` may see matching every filter given, newest first (created
    in [since, until))."""
    incidents = _incidents(user).order_by("-created_at", "-id")
    if status:
        incidents = incidents.filter(status=status)
    if service is not None:
        incidents = incidents.filter(service=service)
    if team is not None:
        incidents = incidents.filter(service__team=team)
    if urgency:
        incidents = incidents.filter(urgency=urgency)
    if since is not None:
        incidents = incidents.filter(created_at__gte=since)
    if until is not None:
        incidents = incidents.filter(created_at__lt=until)
    return incidents


def incidents_open(*, user, shown: int = OPEN_SHOWN) -> list[Incident]:
    """Return the open incidents `user` may see, newest first (at most `shown`); rehearsal
    incidents aside (rehearsals_open counts them)."""
    return list(
        _incidents(user)
        .filter(status__in=Incident.OPEN)
        .exclude(kind=Incident.Kind.REHEARSAL)
        .order_by("-created_at", "-id")[:shown]
    )


def rehearsals_open(*, user) -> int:
    """Return how many open rehearsal incidents `user` may see."""
    return _incidents(user).filter(status__in=Incident.OPEN, kind=Incident.Kind.REHEARSAL).count()


def services_declarable(*, by: Person | None) -> QuerySet[Service]:
    """Return the services `by` may declare an incident on: those of the teams they respond
    for (every one, for a superuser), archived ones and rehearsal twins aside; none for a
    viewer."""
    if by is None:
        return Service.objects.none()
    services = (
        Service.objects.filter(archived_at__isnull=True, rehearsal_of__isnull=True)
        .select_related("team")
        .order_by("name")
    )
    if oncall_selectors.is_superuser(by):
        return services
    return services.filter(team_id__in=oncall_selectors.teams_acted_for(person=by))


def incident_detail(
    *, number: int, user, alerts_shown: int = ALERTS_SHOWN
) -> IncidentDetail | None:
    """Return incident `number` with its latest alerts, timeline and pages, in four queries; None
    if there is no such incident, or `user` may not see it."""
    incident = (
        _incidents(user)
        .select_related("assignee", "postmortem_link__postmortem")
        .annotate(alert_count=Count("alerts"))
        .filter(pk=number)
        .first()
    )
    if incident is None:
        return None
    alerts = list(incident.alerts.order_by("-received_at", "-id")[:alerts_shown])
    pages = list(incident.pages.select_related("person").order_by("due_at", "id"))
    entries = incident.timeline.select_related("actor").order_by("at", "id")
    masks = _masks(pages)
    return IncidentDetail(
        incident=incident,
        alert_count=incident.alert_count,
        alerts=alerts,
        timeline=[_timeline_row(entry, masks) for entry in entries],
        pages=[_page_row(page, masks) for page in pages],
    )


def _timeline_row(entry: TimelineEntry, masks: dict[str, str]) -> TimelineRow:
    return TimelineRow(
        at=entry.at,
        kind=entry.kind,
        kind_label=entry.get_kind_display(),
        source_label=entry.get_source_display(),
        actor_name=entry.actor.display_name if entry.actor else "",
        message=_scrub(entry.message, masks),
    )


def _page_row(page: Page, masks: dict[str, str]) -> PageRow:
    return PageRow(
        kind=page.kind,
        kind_label=_label(ContactMethod.Kind, page.kind),
        step=page.step,
        loop=page.loop,
        person_name=page.person.display_name,
        address=address_mask(page.kind, page.address),
        state=page.state,
        state_label=_label(Page.State, page.state),
        error=_scrub(page.error, masks),
        due_at=page.due_at,
        sent_at=page.sent_at,
        delivered_at=page.delivered_at,
        failed_at=page.failed_at,
    )


def page_masks(*, incident_id: int) -> dict[str, str]:
    """Return how to mask every address `incident_id`'s pages went to (one query)."""
    return _masks(list(Page.objects.filter(incident_id=incident_id).only("kind", "address")))


def text_masked(text: str, masks: dict[str, str]) -> str:
    """Return `text` with every address in `masks` masked (a provider's error may quote one)."""
    return _scrub(text, masks)


def people_assignable(*, incident: Incident) -> QuerySet[Person]:
    """Return the people an incident may be reassigned to: its team's."""
    team_id = incident.service.team_id
    return Person.objects.filter(memberships__team_id=team_id).order_by("display_name")


def people_askable(*, incident: Incident, by: Person | None) -> QuerySet[Person]:
    """Return the people `by` may ask to help with `incident`: the incident's team and every
    team `by` belongs to (everyone, for a superuser)."""
    if by is None:
        return Person.objects.none()
    if oncall_selectors.is_superuser(by):
        return Person.objects.order_by("display_name")
    teams = Membership.objects.filter(person=by).values("team_id")
    return (
        Person.objects.filter(
            Q(memberships__team_id__in=teams) | Q(memberships__team_id=incident.service.team_id)
        )
        .distinct()
        .order_by("display_name")
    )
