"""One way to act on an incident: every entry point (SMS replies, calls, Slack, e-mail links,
the API, the web's buttons) calls `incident_act`, so they check the same access rule and do the
same thing. The engine's own transitions (timeouts, auto-resolve) call the services below it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from incidents.access import may_act, refusal
from incidents.models import Incident, Responder
from incidents.models.choices import Action, Source
from incidents.services.incidents import (
    incident_acknowledge,
    incident_add_note,
    incident_add_responder,
    incident_escalate_now,
    incident_reassign,
    incident_resolve,
    incident_snooze,
)
from oncall.audit import audit_record
from oncall.models import Membership, Person

NOTE_MAX = 5000


@dataclass(frozen=True)
class ActResult:
    """What an act did: `changed` is False when it found nothing to do (acknowledging an
    acknowledged incident); `message` says so to a person ("Acknowledged #42")."""

    incident: Incident
    action: Action
    changed: bool
    message: str


def incident_act(
    *,
    incident: Incident,
    action: str,
    by: Person | None,
    source: str,
    now: datetime,
    minutes: int | None = None,
    person: Person | None = None,
    text: str | None = None,
) -> ActResult:
    """Do `action` to `incident` as `by`, through `source`, and say what happened.

    Raise incidents.access.ActionRefused when `by` may not act on it, and ValidationError,
    naming the field, for a bad argument (an unknown action, snooze minutes out of range, a
    reassignment to someone outside the team, an empty note). Nothing is changed then.
    """
    if not may_act(person=by, incident=incident):
        raise refusal(incident.number)
    if action not in Action.values:
        raise ValidationError({"action": f"Unknown action; one of {', '.join(Action.values)}."})
    if source not in Source.values:
        raise ValidationError({"source": f"Unknown source; one of {', '.join(Source.values)}."})
    action = Action(action)
    before = (incident.status, incident.assignee_id)
    # The act and its audit entry are kept together or not at all.
    with transaction.atomic():
        changed, message = _ACTS[action](
            incident, by=by, source=source, now=now, minutes=minutes, person=person, text=text
        )
        if changed:
            _audited(
                incident,
                action,
                before,
                by=by,
                source=source,
                minutes=minutes,
                text=text,
                person=person,
            )
    return ActResult(incident=incident, action=action, changed=changed, message=message)


def _audited(incident, action, before, *, by, source, minutes, text, person) -> None:
    """Record what the act changed in the audit log: the status, the note, the snooze, who it
    was given to."""
    status, assignee_id = before
    changes = {}
    if incident.status != status:
        changes["status"] = [status, incident.status]
    if action == Action.SNOOZE:
        changes |= {"minutes": minutes, "until": incident.ack_timeout_at}
    elif action == Action.NOTE:
        changes["note"] = text
    elif action == Action.REASSIGN:
        changes["assignee"] = [assignee_id, person.pk]
    elif action == Action.ADD_RESPONDER:
        changes["responder"] = person.pk
    audit_record(
        action=action,
        object_type="incident",
        object_id=incident.number,
        object_repr=str(incident),
        team_id=incident.service.team_id,
        changes=changes,
        actor=by.user if by is not None else None,
        source=source,
    )


def _status(incident: Incident) -> str:
    return incident.get_status_display().lower()


def _acknowledge(incident, *, by, source, now, **_) -> tuple[bool, str]:
    if incident_acknowledge(incident=incident, now=now, by=by, source=source):
        return True, f"Acknowledged #{incident.number}"
    return False, f"#{incident.number} is already {_status(incident)}"


def _resolve(incident, *, by, source, now, **_) -> tuple[bool, str]:
    if incident_resolve(incident=incident, now=now, by=by, source=source):
        return True, f"Resolved #{incident.number}"
    return False, f"#{incident.number} is already resolved"


def _escalate(incident, *, by, source, now, **_) -> tuple[bool, str]:
    if incident_escalate_now(incident=incident, now=now, by=by, source=source):
        return True, f"Escalated #{incident.number}: its next step pages now"
    if incident.status != Incident.Status.TRIGGERED:
        return False, f"#{incident.number} is {_status(incident)}: only a triggered one escalates"
    return False, f"#{incident.number} has no further escalation step"


def _snooze(incident, *, by, source, now, minutes, **_) -> tuple[bool, str]:
    if incident_snooze(incident=incident, minutes=minutes, now=now, by=by, source=source):
        return True, f"Snoozed #{incident.number} for {minutes} minutes"
    return False, (
        f"#{incident.number} is {_status(incident)}: only an acknowledged incident is snoozed"
    )


def _someone(person, incident: Incident, *, in_team: bool) -> Person:
    if not isinstance(person, Person):
        raise ValidationError({"person": "Name the person."})
    if (
        in_team
        and not Membership.objects.filter(person=person, team_id=incident.service.team_id).exists()
    ):
        raise ValidationError(
            {"person": f"{person.display_name} is not in {incident.service.team.name}."}
        )
    return person


def _reassign(incident, *, by, source, now, person, **_) -> tuple[bool, str]:
    person = _someone(person, incident, in_team=True)
    if not incident.is_open:
        return False, f"#{incident.number} is already resolved"
    if incident.assignee_id == person.pk:
        return False, f"#{incident.number} is already assigned to {person.display_name}"
    incident_reassign(incident=incident, to=person, now=now, by=by, source=source)
    return True, f"Reassigned #{incident.number} to {person.display_name}"


def _add_responder(incident, *, by, source, now, person, **_) -> tuple[bool, str]:
    person = _someone(person, incident, in_team=False)
    if not incident.is_open:
        return False, f"#{incident.number} is already resolved"
    if Responder.objects.filter(incident=incident, person=person).exists():
        return False, f"{person.display_name} was already asked to help with #{incident.number}"
    incident_add_responder(incident=incident, person=person, now=now, by=by, source=source)
    return True, f"Asked {person.display_name} to help with #{incident.number}"


def _note(incident, *, by, source, now, text, **_) -> tuple[bool, str]:
    if not isinstance(text, str) or not text.strip():
        raise ValidationError({"text": "A note needs some text."})
    if len(text) > NOTE_MAX:
        raise ValidationError({"text": f"A note is at most {NOTE_MAX} characters."})
    incident_add_note(incident=incident, text=text, now=now, by=by, source=source)
    return True, f"Added a note to #{incident.number}"


_ACTS = {
    Action.ACKNOWLEDGE: _acknowledge,
    Action.RESOLVE: _resolve,
    Action.ESCALATE: _escalate,
    Action.SNOOZE: _snooze,
    Action.REASSIGN: _reassign,
    Action.ADD_RESPONDER: _add_responder,
    Action.NOTE: _note,
}
