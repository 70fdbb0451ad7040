"""People answering a page from where they are: an SMS reply or a key pressed in a call
acknowledges or resolves."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from incidents import replies, voice
from incidents.access import ActionRefused
from incidents.models import Incident, Page
from incidents.models.choices import Action, Source
from incidents.services.acts import ActResult, incident_act
from incidents.services.bundles import bundle_pages
from incidents.services.email_links import LinkInvalid, link_read
from oncall import replays
from oncall.models import ContactMethod, Person
from oncall.selectors import people_by_contact
from oncall.verification import verification_by_reply

SMS = ContactMethod.Kind.SMS


def _person_for_number(number: str) -> Person | None:
    """Return the person whose verified SMS contact is `number` (the one paged most recently
    there, should two people share a phone)."""
    people = people_by_contact(kind=SMS, address=number)
    paged = (
        Page.objects.filter(person__in=people, kind=SMS, address=number)
        .order_by("-created_at", "-id")
        .values_list("person_id", flat=True)
        .first()
    )
    return people.filter(pk=paged).first() if paged else people.first()


def _incidents_for(number: str, named: int | None) -> list[Incident]:
    """Return the open incidents a reply is about: the one it names, or those the newest text
    to this number was about (one incident, or several bundled). Whether the sender may act on
    them is incident_act's to say."""
    if named is not None:
        return list(
            Incident.objects.filter(pk=named, status__in=Incident.OPEN).select_related("service")
        )
    newest = (
        Page.objects.filter(
            kind=SMS,
            address=number,
            state__in=(Page.State.SENT, Page.State.DELIVERED),
            incident__status__in=Incident.OPEN,
        )
        .order_by("-sent_at", "-id")
        .first()
    )
    if newest is None:
        return []
    together = Page.objects.filter(kind=SMS, address=number, provider_id=newest.provider_id).values(
        "incident_id"
    )
    return list(
        Incident.objects.filter(pk__in=together, status__in=Incident.OPEN)
        .select_related("service")
        .order_by("pk")
    )


def _act_on_each(
    incidents: list[Incident], *, action: Action, by: Person | None, source: str, now: datetime
) -> list[ActResult]:
    """Act on each incident the person may act on; leave out those they may not."""
    results = []
    for incident in incidents:
        try:
            results.append(
                incident_act(incident=incident, action=action, by=by, source=source, now=now)
            )
        except ActionRefused:
            continue
    return results


def sms_reply_once(*, message_sid: str, from_number: str, text: str, now: datetime) -> str | None:
    """Act on the SMS reply `message_sid` unless it was handled before; return the answer to
    send back, or None for a replay (or Twilio's retry of a request we already answered).

    The MessageSid is taken in the transaction of the act: if acting fails, Twilio's retry acts.
    Every SMS webhook from Twilio carries one, and its signature covers it, so it cannot be
    stripped from a captured request; a request without one was not sent by Twilio's SMS
    webhook and is acted on as before.
    """
    with transaction.atomic():
        if message_sid and not replays.twilio_message_take(message_sid=message_sid, now=now):
            return None
        return sms_reply(from_number=from_number, text=text, now=now)


def sms_reply(*, from_number: str, text: str, now: datetime) -> str:
    """Act on an SMS reply from `from_number`; return the answer to send back."""
    verified = verification_by_reply(number=from_number, text=text, now=now)
    if verified is not None:
        return replies.verified(verified.person.display_name)
    person = _person_for_number(from_number)
    if person is None:
        return replies.UNKNOWN_SENDER
    command = replies.parse(text)
    if command is None:
        return replies.HELP
    incidents = _incidents_for(from_number, command.number)
    if not incidents:
        return replies.not_yours(command.number) if command.number else replies.NOTHING_OPEN
    results = _act_on_each(incidents, action=command.action, by=person, source=Source.SMS, now=now)
    if not results:
        return replies.not_yours(command.number or incidents[0].number)
    acted = [result.incident for result in results]
    changed = [result.incident for result in results if result.changed]
    if len(acted) == 1:
        (incident,) = acted
        if changed:
            return replies.done(command.action, incident.number, incident.title)
        return replies.already(incident.number, incident.get_status_display().lower())
    if changed:
        return replies.done_many(command.action, [i.number for i in changed])
    return replies.already_all([i.number for i in acted])


MACHINE_ANSWERS = ("machine_start", "machine_end_beep", "machine_end_silence", "machine_end_other")


def voice_answer(
    *,
    page_id: int,
    digits: str,
    answered_by: str,
    reading: int,
    action_url: str,
    now: datetime,
    call_sid: str = "",
) -> str:
    """Return the TwiML for a paging call at this point of the conversation, acting on a key.

    The call carries its page's incident, or several when noise control bundled pages into it:
    it reads them all and a key acts on each. The person the call was placed to is the one who
    acts: the call reached their phone.
    """
    page = Page.objects.select_related("incident__service", "person").filter(pk=page_id).first()
    if page is None:
        return voice.said("This page no longer exists. Goodbye.")
    incidents = _incidents_called(page, call_sid)
    spoken = [(i.number, i.severity, i.title) for i in incidents]
    if answered_by in MACHINE_ANSWERS or answered_by == "fax":
        return voice.voicemail(incidents=spoken)
    if digits in voice.KEYS:
        return _voice_act(incidents, action=voice.KEYS[digits], by=page.person, now=now)
    if digits:  # star, or a key that means nothing: read it all again
        reading = 1
    return voice.prompt(action_url=action_url, reading=reading, incidents=spoken)


def _voice_act(incidents: list[Incident], *, action: Action, by: Person, now: datetime) -> str:
    """Act on the incidents a call carried, as the person it reached; say what happened."""
    results = _act_on_each(incidents, action=action, by=by, source=Source.VOICE, now=now)
    if not results:
        named = voice.incidents_named([i.number for i in incidents])
        return voice.said(f"You may not act on {named.lower()}. Nothing was changed. Goodbye.")
    verb = "acknowledged" if action == Action.ACKNOWLEDGE else "resolved"
    changed = [result.incident for result in results if result.changed]
    if changed:
        named = voice.incidents_named([i.number for i in changed])
        return voice.said(f"{named} {verb}. Goodbye.")
    acted = [result.incident for result in results]
    if len(acted) == 1:
        status = acted[0].get_status_display().lower()
        return voice.said(f"Incident {acted[0].number} was already {status}. Goodbye.")
    named = voice.incidents_named([i.number for i in acted])
    statuses = {i.get_status_display().lower() for i in acted}
    status = statuses.pop() if len(statuses) == 1 else "acknowledged or resolved"
    return voice.said(f"{named} were already {status}. Goodbye.")


def email_link_act(token: str, *, now: datetime) -> Incident:
    """Do what an e-mail page's link says, as the person the page went to; raise LinkInvalid
    when it may not (tampered, expired, spent, or the person may no longer act)."""
    link = link_read(token, now=now)
    incident = link.page.incident
    try:
        result = incident_act(
            incident=incident, action=link.action, by=link.page.person, source=Source.EMAIL, now=now
        )
    except ActionRefused as refused:
        raise LinkInvalid(refused.message) from refused
    if not result.changed:
        raise LinkInvalid(f"#{incident.number} is already {incident.get_status_display().lower()}.")
    return incident


def _incidents_called(page: Page, call_sid: str) -> list[Incident]:
    """Return the incidents a call is about: its page's, or, when the call carried several,
    those of them still open (one resolved meanwhile is neither read nor acted on)."""
    carried = {p.incident_id: p.incident for p in bundle_pages(page, provider_id=call_sid)}
    if len(carried) == 1:
        return [page.incident]
    still_open = [i for i in carried.values() if i.is_open]
    return sorted(still_open, key=lambda i: -i.number) or [page.incident]
