"""What the postmortem tests share: an incident with a record, and a postmortem of it."""

from datetime import timedelta

from incidents.services.incidents import incident_acknowledge, incident_add_note, incident_resolve
from incidents.services.postmortems import postmortem_start
from oncall.models import Membership, Person, Team

from .conftest import T0
from .test_engine import fire, on_call

MINUTE = timedelta(minutes=1)


def incident_with_record(workers, *, service="edge", key="disk-full", at=T0, severity="critical"):
    """Fire an alert, page the on-call person, acknowledge, note and resolve; return it."""
    incident = fire(service=service, key=key, at=at, severity=severity)
    workers.run(at)
    primary = on_call("Primary", at=at)
    incident_acknowledge(incident=incident, now=at + 2 * MINUTE, by=primary, source="sms")
    incident_add_note(incident=incident, text="Rolled back.", now=at + 3 * MINUTE, by=primary)
    incident_resolve(incident=incident, now=at + 9 * MINUTE, by=primary, source="web")
    incident.refresh_from_db()
    return incident


def person(username: str) -> Person:
    return Person.objects.get(user__username=username)


def sre_member(role: str) -> Person:
    team = Team.objects.get(name="Platform SRE")
    return Membership.objects.filter(team=team, role=role).order_by("pk").first().person


def started(workers, **kwargs):
    incident = incident_with_record(workers, **kwargs)
    by = on_call("Primary")
    return postmortem_start(incidents=[incident], by=by, now=T0 + 20 * MINUTE), incident
