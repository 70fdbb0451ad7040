"""Writing the incident timeline: every event, with its actor and source."""

from incidents.models import Incident, TimelineEntry
from incidents.models.choices import Source


def timeline_add(
    *,
    incident: Incident | int,
    kind: str,
    at,
    source: str = Source.ENGINE,
    actor=None,
    message: str = "",
    data: dict | None = None,
) -> TimelineEntry:
    """Record that `kind` happened to `incident` at `at`."""
    incident_id = incident if isinstance(incident, int) else incident.pk
    return TimelineEntry.objects.create(
        incident_id=incident_id,
        kind=kind,
        at=at,
        source=source,
        actor=actor,
        message=message,
        data=data or {},
    )
