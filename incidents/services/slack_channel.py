"""An incident's post in its service's Slack channel: posted with the answer buttons when its
first escalation step fires, updated when it is acknowledged or resolved (from anywhere), and so
are the Slack direct messages that paged someone for it.

Never in a request's path nor inside the engine's transaction: the hooks only ring a task
on commit (the update hears of every change through incidents.events), and the tasks
(incidents.slack.tasks) call Slack. The post is a courtesy copy for the team; the pages are
what must go out, so a post that cannot be made is logged, not repeated blindly: a post of
unknown outcome is never made twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from incidents.links import incident_url
from incidents.models import Incident, Page
from incidents.models.choices import Source
from incidents.services.doorbell import SLACK_POST, SLACK_UPDATE, ring
from incidents.slack import messages
from oncall.channels.base import ChannelError, OutcomeUnknown
from oncall.channels.registry import slack_channel, slack_configured

log = logging.getLogger(__name__)

POST, UPDATE = SLACK_POST, SLACK_UPDATE
POSTING = "-"  # slack_ts while the post is on its way, or when its outcome is unknown
UPDATE_ROUNDS = 3  # an update made stale by a change meanwhile is made again, this often at most
BY_SOURCE = {Source.MONITORING: "monitoring", Source.ENGINE: "Plantão"}


def slack_incidents_announce(*, incidents: Iterable[Incident], now: datetime) -> None:
    """Hook for the engine, with the incidents whose first step fired: ring, on commit, the post
    of each whose service names a Slack channel. No query: the services are loaded."""
    if not slack_configured():
        return
    for incident in incidents:
        # A rehearsal's incidents are never announced: a rehearsal reaches no one.
        if incident.service.slack_channel and incident.kind != Incident.Kind.REHEARSAL:
            ring(POST, incident.pk, due_at=now, now=now)


def slack_incident_changed(*, incident: Incident, now: datetime) -> None:
    """Hook for acknowledge and resolve: ring, on commit, the update of the incident's post and
    Slack pages (the task finds out whether it has any)."""
    if slack_configured():
        ring(UPDATE, incident.pk, due_at=now, now=now)


def slack_incident_update_ring(event) -> None:
    """Listener (incidents.events): ring the update of the incident's post and Slack pages."""
    if slack_configured():
        ring(UPDATE, event.incident_id, due_at=event.at, now=event.at)


def _incident(incident_id: int) -> Incident | None:
    return (
        Incident.objects.select_related("service", "acknowledged_by", "resolved_by")
        .filter(pk=incident_id)
        .first()
    )


def status_by(incident: Incident) -> str:
    """Return who acknowledged or resolved the incident: a person, or where it came from."""
    if incident.status == Incident.Status.TRIGGERED:
        return ""
    if incident.status == Incident.Status.ACKNOWLEDGED:
        person = incident.acknowledged_by
    else:
        person = incident.resolved_by
    if person is not None:
        return person.display_name
    source = (
        incident.timeline.filter(kind=incident.status)
        .order_by("-at", "-id")
        .values_list("source", flat=True)
        .first()
    )
    return BY_SOURCE.get(source) or (Source(source).label if source in Source.values else "")


def _content(incident: Incident) -> dict:
    return messages.incident_post(
        number=incident.number,
        severity=incident.severity,
        title=incident.title,
        service=incident.service.name,
        status=incident.status,
        by=status_by(incident),
        url=incident_url(incident.number),
    )


def slack_incident_post(*, incident_id: int) -> bool:
    """Post the incident in its service's channel, once; return whether it was posted now.

    Raise a retryable ChannelError when Slack said "later" (the task tries again).
    """
    incident = _incident(incident_id)
    if incident is None or not incident.service.slack_channel or incident.slack_ts:
        return False
    # Claimed by a conditional update: of two runs of the task only one posts.
    if not Incident.objects.filter(pk=incident_id, slack_ts="").update(slack_ts=POSTING):
        return False
    content = _content(incident)
    try:
        channel, ts = slack_channel().post(channel=incident.service.slack_channel, **content)
    except OutcomeUnknown as error:
        log.warning("incident %s: the Slack post may or may not be there (%s)", incident_id, error)
        return False
    except ChannelError as error:
        Incident.objects.filter(pk=incident_id, slack_ts=POSTING).update(slack_ts="")
        log.warning("incident %s: not posted to Slack: %s", incident_id, error.reason)
        if error.retryable:
            raise
        return False
    Incident.objects.filter(pk=incident_id).update(slack_channel=channel, slack_ts=ts)
    _show(incident_id, [(channel, ts)], content)  # acknowledged while being posted: say so
    return True


def slack_incident_update(*, incident_id: int) -> bool:
    """Make the incident's post, and each Slack page sent for it, say how it stands now; False
    when it has neither.

    Raise a retryable ChannelError when Slack cannot take it now (the task tries again, and
    updates them all again: an update made twice is harmless).
    """
    incident = _incident(incident_id)
    if incident is None or incident.kind == Incident.Kind.REHEARSAL:
        return False  # its pages reached no one: no message of it is in Slack
    targets = _slack_pages(incident_id)
    if incident.slack_ts not in ("", POSTING):
        targets.insert(0, (incident.slack_channel, incident.slack_ts))
    if not targets:
        return False
    _show(incident_id, targets, None)
    return True


def _slack_pages(incident_id: int) -> list[tuple[str, str]]:
    """Return the (channel, ts) of each direct message that paged someone for the incident.

    A message that also carried another incident's page is left alone: updated with this
    incident alone, it would no longer show the other.
    """
    sent = set(
        Page.objects.filter(incident_id=incident_id, kind="slack")
        .exclude(provider_id="")
        .values_list("provider_id", flat=True)
    )
    shared = set(
        Page.objects.filter(kind="slack", provider_id__in=sent)
        .exclude(incident_id=incident_id)
        .values_list("provider_id", flat=True)
    )
    found = []
    for provider_id in sorted(sent - shared):
        channel, _, ts = provider_id.partition("/")  # SlackChannel.send's "channel/ts"
        if channel and ts:
            found.append((channel, ts))
    return found


def _show(incident_id: int, targets: list[tuple[str, str]], shown: dict | None) -> None:
    """Update each message (channel, ts) until it shows the incident as it stands (`shown`: what
    they show now, None when unknown).

    Two updates racing (an acknowledgement, then a resolve) may reach Slack in either order:
    reading the incident again after each round makes the last one right. A message Slack
    refuses for good (deleted, channel archived) is given up alone; the others still follow.
    """
    pending, slack = list(targets), slack_channel()
    for _ in range(UPDATE_ROUNDS):
        incident = _incident(incident_id)
        if incident is None:
            return
        content = _content(incident)
        if content == shown:
            return
        for channel, ts in list(pending):
            try:
                slack.update(channel=channel, ts=ts, **content)
            except ChannelError as error:
                log.warning("incident %s: Slack message not updated: %s", incident_id, error.reason)
                if error.retryable:
                    raise
                pending.remove((channel, ts))
        if not pending:
            return
        shown = content
