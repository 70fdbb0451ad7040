"""Who hears of incident changes (incidents.events): every listener, registered in one place."""

from incidents import events
from incidents.services.slack_channel import slack_incident_update_ring


def connect() -> None:
    """Register every listener (at start-up)."""
    events.listen(slack_incident_update_ring)
