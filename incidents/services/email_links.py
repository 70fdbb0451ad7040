"""The acknowledge and resolve links in an e-mail page: signed, expiring, and good for one act.

A link carries the page and the action, signed with SECRET_KEY, and works for LINK_LIFETIME.
An acknowledge link works only while nobody has acknowledged the incident since the page was
sent (an acknowledgement that later timed out still counts), a resolve link only while the
incident is open. So each link acts at most once, with no table of used links to keep.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing

from incidents.models import Incident, Page, TimelineEntry

SALT = "plantao.email-action"
LINK_LIFETIME = timedelta(hours=24)
ACKNOWLEDGE, RESOLVE = "acknowledge", "resolve"
ACTIONS = (ACKNOWLEDGE, RESOLVE)


class LinkInvalid(Exception):
    """A link that was tampered with, has expired, or no longer applies; `reason` says which."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Link:
    page: Page
    action: str


def action_url(page: Page, action: str) -> str:
    """Return the link that does `action` to the incident of `page` (an e-mail page)."""
    token = signing.dumps({"p": page.pk, "a": action}, salt=SALT, compress=False)
    return f"{settings.PUBLIC_URL}/email/{token}/"


def link_read(token: str, *, now: datetime) -> Link:
    """Return what `token` may do now, or raise LinkInvalid saying why it may not."""
    try:
        data = signing.loads(token, salt=SALT, max_age=LINK_LIFETIME)
    except signing.SignatureExpired as error:
        raise LinkInvalid("This link has expired; links in a page work for 24 hours.") from error
    except signing.BadSignature as error:
        raise LinkInvalid("This link is not one Plantão sent, or it was cut short.") from error
    page = (
        Page.objects.select_related("incident", "person")
        .filter(pk=data.get("p"), kind="email")
        .first()
    )
    if page is None or data.get("a") not in ACTIONS:
        raise LinkInvalid("This link is not one Plantão sent, or it was cut short.")
    incident = page.incident
    if not incident.is_open:
        raise LinkInvalid(f"#{incident.number} is already resolved.")
    if data["a"] == ACKNOWLEDGE and (
        incident.status != Incident.Status.TRIGGERED
        or incident.timeline.filter(
            kind=TimelineEntry.Kind.ACKNOWLEDGED, at__gte=page.created_at
        ).exists()
    ):
        raise LinkInvalid(
            f"#{incident.number} was acknowledged since this page; this link is spent."
        )
    return Link(page, data["a"])


def link_use(token: str, *, now: datetime) -> Incident:
    """Do what `token` says, as the person the page went to; raise LinkInvalid if it may not."""
    # Imported here: pages (which builds the links) is imported by the incident services.
    from incidents.services.incidents import incident_acknowledge, incident_resolve

    link = link_read(token, now=now)
    act = incident_acknowledge if link.action == ACKNOWLEDGE else incident_resolve
    incident = link.page.incident
    if not act(incident=incident, now=now, by=link.page.person, source="email"):
        raise LinkInvalid(f"#{incident.number} is already {incident.get_status_display().lower()}.")
    return incident
