"""The rehearsal channel: rehearsal pages reach no one, keep the provider's pacing among
themselves, and never delay or join a real page to the same number."""

from datetime import timedelta

import pytest

from incidents.models import Incident, Page, Service
from incidents.rehearsals.twins import twin_for
from incidents.services import noise, pages
from oncall.channels.base import Message
from oncall.channels.registry import channel_for
from oncall.channels.rehearsal import RehearsalChannel
from oncall.models import ContactMethod, Person, RehearsalSend, RehearsalTurn

from .conftest import T0

SECOND, MINUTE = timedelta(seconds=1), timedelta(minutes=1)


def texted_people(count: int) -> list[Person]:
    people = list(Person.objects.filter(contact_methods__kind="sms").distinct()[:count])
    assert len(people) == count
    return people


def incident(service: Service, number: int, at) -> Incident:
    return Incident.objects.create(
        service=service,
        title=f"Disk full {number}",
        severity="critical",
        urgency="high",
        status="triggered",
        kind=Incident.Kind.REHEARSAL if service.rehearsal_of_id else Incident.Kind.REAL,
        created_at=at,
        dedup_key=f"disk-{number}",
    )


def page_now(service, people, at, number):
    """Page `people` for a new incident of `service` at `at`, as the engine does."""
    created = pages.pages_create(
        incident=incident(service, number, at),
        people=people,
        step=0,
        loop=0,
        fired_at=at,
        send_due=True,
    )
    pages.pages_send_created(created, now=at)
    return created


def texts_to(fake, person) -> list[dict]:
    number = ContactMethod.objects.get(person=person, kind="sms").address
    return [m for m in fake.twilio.messages if m["To"] == number]


@pytest.fixture
def services(demo):
    real = Service.objects.get(name="auth")
    return real, twin_for(real)


@pytest.mark.django_db
def test_a_rehearsal_storm_never_delays_or_joins_a_real_text_to_the_same_number(
    twilio, services, workers, settings
):
    settings.TWILIO_SMS_SEGMENTS_PER_SECOND = 1
    real, twin = services
    (person,) = texted_people(1)
    workers.frozen_now(T0)
    # A storm of rehearsal incidents for the person: the first text goes, the rest wait a minute.
    for n in range(5):
        page_now(twin, [person], T0, number=100 + n)
    # At the same moment a real incident: its text goes now, alone.
    page_now(real, [person], T0, number=1)
    real_text = Page.objects.get(incident__service=real, kind="sms")
    assert (real_text.state, real_text.sent_at) == ("sent", T0)
    (sent,) = texts_to(twilio, person)
    assert "#100" not in sent["Body"] and f"#{real_text.incident.number}" in sent["Body"]

    # A second real incident waits for the real minute; the rehearsal's bundle never carries it.
    page_now(real, [person], T0 + SECOND, number=2)
    workers.run(T0 + 3 * MINUTE)
    texts = texts_to(twilio, person)
    assert len(texts) == 2
    assert twilio.twilio.arrived_at[texts[1]["sid"]] == T0 + MINUTE
    real_pages = Page.objects.filter(incident__service=real, kind="sms")
    rehearsal_pages = Page.objects.filter(incident__service=twin, kind="sms")
    assert set(real_pages.values_list("state", flat=True)) == {"sent"}
    assert set(rehearsal_pages.values_list("state", flat=True)) == {"sent"}
    # Rehearsal texts went through the rehearsal channel alone: one now, the rest a minute on.
    recorded = list(RehearsalSend.objects.filter(kind="sms").order_by("sent_at"))
    assert [r.sent_at for r in recorded] == [T0, T0 + MINUTE]
    carried = {r.reference for r in recorded} | {ref for r in recorded for ref in r.also}
    assert carried == {p.reference for p in rehearsal_pages}
    assert not carried & {p.reference for p in real_pages}
    assert RehearsalTurn.objects.filter(contact_method__person=person).exists()


@pytest.mark.django_db
def test_rehearsal_texts_keep_the_providers_second_among_themselves_not_a_real_pages(
    twilio, services, workers, settings
):
    settings.TWILIO_SMS_SEGMENTS_PER_SECOND = 1
    real, twin = services
    *rehearsed, other = texted_people(5)
    workers.frozen_now(T0)
    page_now(twin, rehearsed, T0, number=100)
    page_now(real, [other], T0, number=1)
    assert Page.objects.get(incident__service=real, kind="sms").sent_at == T0  # not queued
    workers.run(T0 + 10 * SECOND)
    texts = RehearsalSend.objects.filter(kind="sms").order_by("sent_at")
    times = list(texts.values_list("sent_at", flat=True))
    assert times == [T0 + n * SECOND for n in range(4)]
    assert len(twilio.twilio.messages) == 1


@pytest.mark.django_db
def test_rehearsal_calls_keep_three_in_fifteen_minutes_apart_from_real_calls(
    twilio, services, workers, settings
):
    real, twin = services
    person = Person.objects.filter(contact_methods__kind="voice").first()
    voice = person.contact_methods.get(kind="voice")
    workers.frozen_now(T0)
    # Three rehearsal calls used the rehearsal's turns at the number...
    for n in range(3):
        rehearsal = Page(incident=incident(twin, 100 + n, T0), contact_method=voice, kind="voice")
        assert noise.turn_take(rehearsal, now=T0 + n * SECOND) is None
    fourth = Page(incident=incident(twin, 200, T0), contact_method=voice, kind="voice")
    assert noise.turn_take(fourth, now=T0 + 5 * SECOND) == T0 + 15 * MINUTE
    # ...and a real call may still go at once.
    real_call = Page(incident=incident(real, 1, T0), contact_method=voice, kind="voice")
    assert noise.turn_take(real_call, now=T0 + 5 * SECOND) is None


def test_the_rehearsal_channel_paces_as_the_real_provider(settings):
    settings.TWILIO_FROM_NUMBER = "+15005550006"
    settings.TWILIO_SMS_SEGMENTS_PER_SECOND = 2
    settings.TWILIO_ACCOUNT_SID = ""
    settings.TWILIO_CALLS_PER_SECOND = 1
    long = Message(reference="page-1", kind="sms", address="+1", subject="", body="x" * 200)
    assert RehearsalChannel("sms").pace(long).sender == "rehearsal:sms:+15005550006"
    assert RehearsalChannel("sms").pace(long).seconds == 1.0  # two segments at two a second
    call = Message(reference="page-2", kind="voice", address="+1", subject="", body="")
    assert RehearsalChannel("voice").pace(call).sender == "rehearsal:voice:default"
    email = Message(reference="page-3", kind="email", address="a@b", subject="", body="")
    assert RehearsalChannel("email").pace(email) is None
    assert isinstance(channel_for("sms", rehearsal=True), RehearsalChannel)


@pytest.mark.django_db
def test_a_send_whose_outcome_was_unknown_is_found_not_repeated():
    channel = RehearsalChannel("sms")
    message = Message(
        reference="page-7", kind="sms", address="+1", subject="", body="x", also=("page-8",)
    )
    sent = channel.send(message)
    assert channel.lookup("page-7").provider_id == sent.provider_id
    assert channel.lookup("page-8").provider_id == sent.provider_id  # carried in the bundle
    assert channel.lookup("page-9") is None
    assert channel.send(message).provider_id == sent.provider_id
    assert RehearsalSend.objects.count() == 1
