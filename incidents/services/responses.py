"""People answering a page from where they are: an SMS reply or a key pressed in a call
acknowledges or resolves."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Q

from incidents import replies, voice
from incidents.models import Incident, Page
from incidents.services.bundles import bundle_pages
from incidents.services.incidents import incident_acknowledge, incident_resolve
from oncall import replays
from oncall.models import Membership, Person
from oncall.verification import verification_by_reply

ACTING_ROLES = (Membership.Role.RESPONDER, Membership.Role.ADMIN)


def _person_for_number(number: str) -> Person | None:
    """Return the person whose verified SMS contact is `number` (the one paged most recently
    there, should two people share a phone)."""
    people = Person.objects.filter(
        contact_methods__kind="sms",
        contact_methods__address=number,
        contact_methods__verified_at__isnull=False,
    ).distinct()
    paged = (
        Page.objects.filter(person__in=people, kind="sms", address=number)
        .order_by("-created_at", "-id")
        .values_list("person_id", flat=True)
        .first()
    )
    return people.filter(pk=paged).first() if paged else people.first()


def _incidents_for(person: Person, number: str, named: int | None) -> list[Incident]:
    if named is None:
        # What the newest text to this number was about: one incident, or several bundled.
        newest = (
            Page.objects.filter(
                kind="sms",
                address=number,
                state__in=(Page.State.SENT, Page.State.DELIVERED),
                incident__status__in=Incident.OPEN,
            )
            .order_by("-sent_at", "-id")
            .first()
        )
        if newest is None:
            return []
        together = Page.objects.filter(
            kind="sms", address=number, provider_id=newest.provider_id
        ).values("incident_id")
        return list(
            Incident.objects.filter(pk__in=together, status__in=Incident.OPEN)
            .select_related("service")
            .order_by("pk")
        )
    # A named incident: one that paged this person, or one of a team they respond for.
    return list(
        Incident.objects.filter(pk=named, status__in=Incident.OPEN)
        .filter(
            Q(pages__person=person)
            | Q(
                service__team__memberships__person=person,
                service__team__memberships__role__in=ACTING_ROLES,
            )
        )
        .select_related("service")
        .distinct()
    )


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
    incidents = _incidents_for(person, from_number, command.number)
    if not incidents:
        return replies.not_yours(command.number) if command.number else replies.NOTHING_OPEN
    act = incident_acknowledge if command.action == replies.ACKNOWLEDGE else incident_resolve
    changed = [i for i in incidents if act(incident=i, now=now, by=person, source="sms")]
    if len(incidents) == 1:
        (incident,) = incidents
        if changed:
            return replies.done(command.action, incident.number, incident.title)
        return replies.already(incident.number, incident.get_status_display().lower())
    if changed:
        return replies.done_many(command.action, [i.number for i in changed])
    return replies.already_all([i.number for i in incidents])


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
    if digits in (voice.ACKNOWLEDGE, voice.RESOLVE):
        act = incident_acknowledge if digits == voice.ACKNOWLEDGE else incident_resolve
        verb = "acknowledged" if digits == voice.ACKNOWLEDGE else "resolved"
        changed = [i for i in incidents if act(incident=i, now=now, by=page.person, source="voice")]
        if changed:
            named = voice.incidents_named([i.number for i in changed])
            return voice.said(f"{named} {verb}. Goodbye.")
        if len(incidents) == 1:
            status = incidents[0].get_status_display().lower()
            return voice.said(f"Incident {incidents[0].number} was already {status}. Goodbye.")
        named = voice.incidents_named([i.number for i in incidents])
        statuses = {i.get_status_display().lower() for i in incidents}
        status = statuses.pop() if len(statuses) == 1 else "acknowledged or resolved"
        return voice.said(f"{named} were already {status}. Goodbye.")
    if digits:  # star, or a key that means nothing: read it all again
        reading = 1
    return voice.prompt(action_url=action_url, reading=reading, incidents=spoken)


def _incidents_called(page: Page, call_sid: str) -> list[Incident]:
    """Return the incidents a call is about: its page's, or, when the call carried several,
    those of them still open (one resolved meanwhile is neither read nor acted on)."""
    carried = {p.incident_id: p.incident for p in bundle_pages(page, provider_id=call_sid)}
    if len(carried) == 1:
        return [page.incident]
    still_open = [i for i in carried.values() if i.is_open]
    return sorted(still_open, key=lambda i: -i.number) or [page.incident]
