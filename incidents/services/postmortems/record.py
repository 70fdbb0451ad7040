"""Read an incident's record and write it as a postmortem's timeline entries (unsaved).

Every TimelineEntry of the incident becomes one entry with the same instant, kind, actor and
source; alerts and pages add what the timeline does not say: each alert received (the first
ALERTS_DRAFTED of an incident, the rest in one summary entry), and each page's delivery receipt,
or its sending when the timeline has no entry for it. Contact addresses are masked, as on the
incident's page: a postmortem is read by the whole team, and kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from incidents.models import Alert, Incident, Page, PostmortemEntry, TimelineEntry
from incidents.models.choices import Source
from incidents.selectors import page_masks, text_masked
from oncall.models import ContactMethod
from oncall.redaction import address_mask

ALERTS_DRAFTED = 20  # per incident; the rest are summarised in one entry
PAGE_KINDS_IN_TIMELINE = (TimelineEntry.Kind.PAGE_SENT, TimelineEntry.Kind.PAGE_FAILED)
DRAFTED_PAGE_STATES = (Page.State.SENT, Page.State.DELIVERED, Page.State.FAILED)


def alerts_origin(incident_id: int) -> str:
    """Return the origin of the entry summarising an incident's alerts past ALERTS_DRAFTED."""
    return f"alerts:{incident_id}:more"


def entries_drafted(incident: Incident) -> Iterator[PostmortemEntry]:
    """Yield the entries, unsaved and without their postmortem, of `incident`'s record."""
    masks = page_masks(incident_id=incident.pk)
    timeline = list(
        TimelineEntry.objects.filter(incident_id=incident.pk)
        .select_related("actor")
        .order_by("at", "id")
    )
    yield from (_from_timeline(incident, entry, masks) for entry in timeline)
    yield from _from_alerts(incident)
    paged = {
        entry.data.get("page")
        for entry in timeline
        if entry.kind in PAGE_KINDS_IN_TIMELINE and isinstance(entry.data, dict)
    }
    pages = (
        Page.objects.filter(incident_id=incident.pk, state__in=DRAFTED_PAGE_STATES)
        .select_related("person")
        .order_by("due_at", "id")
    )
    for page in pages:
        entry = _from_page(incident, page, masks, in_timeline=page.pk in paged)
        if entry is not None:
            yield entry


def _from_timeline(incident: Incident, entry: TimelineEntry, masks: dict) -> PostmortemEntry:
    return PostmortemEntry(
        at=entry.at,
        kind=entry.kind,
        source=entry.source,
        actor_name=entry.actor.display_name if entry.actor else "",
        text=text_masked(entry.message, masks) or entry.get_kind_display(),
        incident=incident,
        origin=f"timeline:{entry.pk}",
    )


def _alert_text(alert: Alert) -> str:
    what = {"trigger": "firing", "acknowledge": "acknowledged", "resolve": "resolved"}.get(
        alert.action, alert.action
    )
    title = " ".join((alert.title or alert.dedup_key).split())
    severity = f" ({alert.severity})" if alert.severity else ""
    return f"Alert {what}{severity}: {title}"[:2000]


def _from_alerts(incident: Incident) -> Iterator[PostmortemEntry]:
    alerts = Alert.objects.filter(incident_id=incident.pk).select_related("integration")
    alerts = alerts.order_by("received_at", "id")
    for alert in alerts[:ALERTS_DRAFTED]:
        yield PostmortemEntry(
            at=alert.received_at,
            kind="alert",
            source=Source.MONITORING,
            actor_name=alert.integration.get_kind_display() if alert.integration else "",
            text=_alert_text(alert),
            incident=incident,
            origin=f"alert:{alert.pk}",
        )
    rest = list(alerts[ALERTS_DRAFTED:].values_list("received_at", flat=True))
    if rest:
        yield PostmortemEntry(
            at=rest[0],
            kind="alerts_more",
            source=Source.MONITORING,
            text=alerts_more_text(len(rest)),
            incident=incident,
            origin=alerts_origin(incident.pk),
        )


def alerts_more_text(count: int) -> str:
    """Return what the summary entry of an incident's further alerts says."""
    return (
        f"{count} more alert{'s' if count != 1 else ''} received after the first "
        f"{ALERTS_DRAFTED} (see the incident for each)."
    )


def _channel(page: Page) -> str:
    return (
        ContactMethod.Kind(page.kind).label if page.kind in ContactMethod.Kind.values else page.kind
    )


def _from_page(incident, page: Page, masks: dict, *, in_timeline: bool) -> PostmortemEntry | None:
    to = f"{_channel(page)} to {page.person.display_name} ({address_mask(page.kind, page.address)})"
    step = "an added responder" if page.step < 0 else f"step {page.step + 1}, pass {page.loop + 1}"
    if page.state == Page.State.DELIVERED and page.delivered_at:
        after = ""
        if page.sent_at:
            after = f", {int((page.delivered_at - page.sent_at).total_seconds())} s after sending"
        at, kind, text = page.delivered_at, "page_delivered", f"{to} delivered ({step}{after})."
    elif in_timeline:
        return None  # the timeline's own page_sent / page_failed entry says it
    elif page.state == Page.State.FAILED:
        error = text_masked(page.error, masks) or "no reason given"
        at = page.failed_at or page.sent_at or page.due_at
        kind, text = "page_failed", f"{to} failed ({step}): {error}"
    else:
        at, kind, text = page.sent_at or page.due_at, "page_sent", f"{to} sent ({step})."
    return PostmortemEntry(
        at=at,
        kind=kind,
        source=Source.ENGINE,
        actor_name="",
        text=text,
        incident=incident,
        origin=f"page:{page.pk}",
    )


def figures(incidents: Iterable[Incident]) -> dict:
    """Return began_at, acknowledged_at and resolved_at of a postmortem of `incidents`: the first
    trigger, the first acknowledgement (from the timelines, so a later re-acknowledgement does
    not move it), and the last resolve once every one is resolved (None before)."""
    incidents = list(incidents)
    ids = [incident.pk for incident in incidents]
    first_ack = (
        TimelineEntry.objects.filter(incident_id__in=ids, kind=TimelineEntry.Kind.ACKNOWLEDGED)
        .order_by("at")
        .values_list("at", flat=True)
        .first()
    )
    acks = [i.acknowledged_at for i in incidents if i.acknowledged_at]
    resolved = [i.resolved_at for i in incidents]
    return {
        "began_at": min(i.created_at for i in incidents),
        "acknowledged_at": first_ack or (min(acks) if acks else None),
        "resolved_at": max(resolved) if resolved and all(resolved) else None,
    }
