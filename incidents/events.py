"""One event point for what happened to an incident; side effects listen here.

A state change says what changed (`incident_changed`); after its transaction commits, each
listener hears of it: the Slack post and pages today, live web updates and outbound webhooks
later. A change rolled back is never heard of. Listeners are registered in one place
(incidents.listeners, at start-up), so the state changes import none of them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

log = logging.getLogger(__name__)

ACKNOWLEDGED, RESOLVED, RETRIGGERED = "acknowledged", "resolved", "retriggered"
SNOOZED = "snoozed"


@dataclass(frozen=True)
class IncidentChanged:
    incident_id: int
    what: str  # ACKNOWLEDGED | RESOLVED | RETRIGGERED | SNOOZED
    at: datetime


Listener = Callable[[IncidentChanged], None]
_listeners: list[Listener] = []


def listen(listener: Listener) -> None:
    """Have `listener` hear of every incident change after commit (once, however often asked)."""
    if listener not in _listeners:
        _listeners.append(listener)


def incident_changed(*, incident, what: str, now: datetime) -> None:
    """Tell the listeners, once the current transaction commits, that `what` happened."""
    event = IncidentChanged(incident_id=incident.pk, what=what, at=now)
    transaction.on_commit(lambda: _tell(event))


def _tell(event: IncidentChanged) -> None:
    for listener in list(_listeners):
        try:
            listener(event)
        except Exception:  # noqa: BLE001 - the change is committed; one listener must not stop the rest
            log.exception("incident %s: a listener of %r failed", event.incident_id, event.what)
