"""People acting on incidents from Slack: the buttons on pages and channel posts, and the slash
commands (CONTRACT.md). Slack gives up after three seconds, so each is a few queries; a button's
answer, which needs Slack's API, is queued on commit (incidents.slack.tasks).

Anyone in the workspace may ask `/oncall` and `/incident list` (Slack's signature proves where
the request came from); acting needs a Slack member id that is a verified contact method of a
person who is a responder or admin of the incident's team.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Q

from incidents.access import ActionRefused
from incidents.models import Incident, Service
from incidents.models.choices import Source
from incidents.services.acts import incident_act
from incidents.services.declare import incident_declare
from incidents.services.doorbell import SLACK_RESPOND, publish
from incidents.services.slack_channel import status_by
from incidents.slack import commands, messages
from oncall import selectors
from oncall.models import ContactMethod, Person, Schedule, Team

RESPOND = SLACK_RESPOND
LIST_LIMIT = 20


@dataclass(frozen=True)
class Answer:
    text: str
    public: bool = False  # shown to the whole channel, not only to whoever asked


def slack_person(*, user_id: str) -> Person | None:
    """Return the person whose verified Slack contact method is the member `user_id`."""
    return selectors.person_by_contact(kind=ContactMethod.Kind.SLACK, address=user_id)


def _act(action: str, number: int, user_id: str, now: datetime) -> str:
    """Do `action` to incident `number` as the Slack member `user_id`; return what to say."""
    person = slack_person(user_id=user_id)
    if person is None:
        return messages.not_linked(user_id)
    incident = Incident.objects.select_related("service").filter(pk=number).first()
    if incident is None:
        return messages.not_allowed(number)
    try:
        result = incident_act(
            incident=incident, action=action, by=person, source=Source.SLACK, now=now
        )
    except ActionRefused:
        return messages.not_allowed(number)
    if result.changed:
        return messages.done(action, incident.number, incident.title)
    return messages.unchanged(action, incident.number, incident.status, status_by(incident))


@transaction.atomic
def slack_press(*, press: commands.Press, now: datetime) -> str:
    """Act on a button pressed in Slack; its answer goes to the response_url after commit."""
    text = _act(press.action, press.number, press.user_id, now)
    if press.response_url:
        payload = {"response_type": "ephemeral", "replace_original": False, "text": text}
        transaction.on_commit(lambda: _publish(RESPOND, [press.response_url, payload]))
    return text


def slack_command(*, command: commands.Command, user_id: str, now: datetime) -> Answer:
    """Carry out a slash command from the Slack member `user_id`; return the answer."""
    if command.action == commands.ONCALL:
        return Answer(_oncall(command.text, now))
    if command.action == commands.LIST:
        return Answer(_open_incidents())
    if command.action in (commands.ACKNOWLEDGE, commands.RESOLVE):
        return Answer(_act(command.action, command.number, user_id, now))
    if command.action == commands.DECLARE:
        return _declare(command, user_id, now)
    return Answer(messages.HELP)


def _oncall(asked: str, now: datetime) -> str:
    schedules = Schedule.objects.all()
    if asked:
        schedules = schedules.filter(
            Q(name__iexact=asked) | Q(team__name__iexact=asked) | Q(team__slug__iexact=asked)
        )
    answers = selectors.oncall_summary(at=now, schedules=schedules)
    if asked and not answers:
        return messages.no_schedule(
            asked,
            Schedule.objects.order_by("name").values_list("name", flat=True),
            Team.objects.order_by("name").values_list("name", flat=True),
        )
    return messages.oncall(answers)


def _open_incidents() -> str:
    found = Incident.objects.filter(status__in=Incident.OPEN)
    shown = list(found.select_related("service").order_by("-created_at", "-pk")[: LIST_LIMIT + 1])
    more = found.count() - LIST_LIMIT if len(shown) > LIST_LIMIT else 0
    return messages.incident_list(shown[:LIST_LIMIT], more)


def _declare(command: commands.Command, user_id: str, now: datetime) -> Answer:
    """Declare an incident on the service named, else on the first service (by name) of the
    first team (by name) the person responds for."""
    person = slack_person(user_id=user_id)
    if person is None:
        return Answer(messages.not_linked(user_id))
    theirs = Service.objects.filter(
        team__in=selectors.teams_acted_for(person=person), archived_at__isnull=True
    ).order_by("team__name", "name")
    service = theirs.filter(name__iexact=command.service).first() if command.service else None
    if service is None and command.service:
        yours = list(theirs.values_list("name", flat=True))
        text = messages.service_unknown(command.service, yours) if yours else messages.NO_SERVICE
        return Answer(text)
    service = service or theirs.first()
    if service is None:
        return Answer(messages.NO_SERVICE)
    incident = incident_declare(
        service=service, title=command.text, now=now, by=person, source=Source.SLACK
    )
    named = bool(command.service)
    text = messages.declared(incident.number, incident.title, service.name, named=named)
    return Answer(text, public=True)


def _publish(task: str, args: list) -> None:
    publish(task, args)
