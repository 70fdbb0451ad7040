"""SMS replies: what a paged person may answer, and what Plantão does and says back."""

from datetime import timedelta

import pytest

from incidents import replies
from incidents.models import Incident, Page, TimelineEntry
from incidents.render import GSM7, SMS_LIMIT
from incidents.services.pages import page_status
from incidents.services.responses import sms_reply
from oncall.models import ContactMethod, Person

from .conftest import T0
from .test_engine import fire, on_call, phone

MINUTE = timedelta(minutes=1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4", replies.Command("acknowledge", None)),
        ("ack", replies.Command("acknowledge", None)),
        (" ACK 42 ", replies.Command("acknowledge", 42)),
        ("Ack #42", replies.Command("acknowledge", 42)),
        ("6", replies.Command("resolve", None)),
        ("RESOLVE 7.", replies.Command("resolve", 7)),
        ("6 7", replies.Command("resolve", 7)),
        ("5", None),
        ("ok thanks", None),
        ("ACK forty-two", None),
        ("", None),
    ],
)
def test_replies_are_read_as_the_contract_says(text, expected):
    assert replies.parse(text) == expected


def test_every_answer_fits_one_gsm7_segment():
    answers = [
        replies.HELP,
        replies.UNKNOWN_SENDER,
        replies.NOTHING_OPEN,
        replies.done("acknowledge", 123456, "Playback – 5xx ratio above 2% in São Paulo " * 5),
        replies.already(42, "acknowledged"),
        replies.not_yours(999999999),
    ]
    for answer in answers:
        assert len(answer) <= SMS_LIMIT and set(answer) <= GSM7, answer


@pytest.fixture
def paged(demo, recorded, workers):
    """An incident whose first step has paged the Primary on-call person by SMS."""
    incident = fire()
    workers.run(T0)
    return incident, on_call("Primary")


@pytest.mark.django_db
def test_4_acknowledges_the_newest_incident_paged_to_that_number(paged, workers):
    first, person = paged
    workers.frozen_now(T0 + MINUTE)
    newer = fire(key="newer", at=T0 + MINUTE)
    workers.run(T0 + MINUTE)
    answer = sms_reply(from_number=phone(person), text="4", now=T0 + 2 * MINUTE)
    assert answer.startswith(f"Plantao: Acknowledged #{newer.number}")
    newer.refresh_from_db()
    first.refresh_from_db()
    assert newer.status == "acknowledged" and newer.acknowledged_by == person
    assert first.status == "triggered"
    entry = newer.timeline.get(kind=TimelineEntry.Kind.ACKNOWLEDGED)
    assert entry.source == "sms" and entry.actor == person


@pytest.mark.django_db
def test_a_retried_reply_is_harmless_and_says_so(paged):
    incident, person = paged
    assert "Acknowledged" in sms_reply(from_number=phone(person), text="ACK", now=T0 + MINUTE)
    again = sms_reply(from_number=phone(person), text="ACK", now=T0 + MINUTE)
    assert again == replies.already(incident.number, "acknowledged")
    assert incident.timeline.filter(kind=TimelineEntry.Kind.ACKNOWLEDGED).count() == 1


@pytest.mark.django_db
def test_resolve_by_number_works_for_a_responder_of_the_team(paged):
    incident, person = paged
    other = fire(key="other")  # not paged yet, but the person responds for its team
    answer = sms_reply(from_number=phone(person), text=f"RESOLVE {other.number}", now=T0)
    assert answer.startswith(f"Plantao: Resolved #{other.number}")
    other.refresh_from_db()
    assert other.status == "resolved" and other.resolved_by == person


@pytest.mark.django_db
def test_unknown_senders_and_unknown_words_change_nothing(paged):
    incident, person = paged
    assert sms_reply(from_number="+15550000000", text="4", now=T0) == replies.UNKNOWN_SENDER
    assert sms_reply(from_number=phone(person), text="what?", now=T0) == replies.HELP
    assert sms_reply(from_number=phone(person), text="ACK 99999", now=T0) == replies.not_yours(
        99999
    )
    incident.refresh_from_db()
    assert incident.status == "triggered"


@pytest.mark.django_db
def test_an_unverified_number_is_a_stranger(paged):
    incident, person = paged
    ContactMethod.objects.filter(person=person, kind="sms").update(verified_at=None)
    assert sms_reply(from_number=phone(person), text="4", now=T0) == replies.UNKNOWN_SENDER


@pytest.mark.django_db
def test_someone_never_paged_has_nothing_open_to_acknowledge(paged):
    incident, person = paged
    bystander = Person.objects.exclude(pk=person.pk).filter(contact_methods__kind="sms").first()
    answer = sms_reply(from_number=phone(bystander), text="4", now=T0)
    assert answer == replies.NOTHING_OPEN


# Status callbacks


@pytest.mark.django_db
def test_delivery_callbacks_move_a_page_forward_only(paged):
    incident, person = paged
    page = incident.pages.get(kind="sms")
    Page.objects.filter(pk=page.pk).update(provider_id="SM1")
    assert page_status(
        page_id=page.pk, provider_id="SM1", status="delivered", error_code="", now=T0
    )
    # Twilio retries and reorders callbacks: a late "sent", a second "delivered" change nothing.
    for status in ("sent", "delivered", "queued"):
        assert (
            page_status(page_id=page.pk, provider_id="SM1", status=status, error_code="", now=T0)
            is None
        )
    page.refresh_from_db()
    assert page.state == "delivered" and page.delivered_at == T0
    # A callback for another send of ours is not this page's.
    assert (
        page_status(page_id=page.pk, provider_id="SM2", status="failed", error_code="30003", now=T0)
        is None
    )


@pytest.mark.django_db
def test_a_failed_sms_brings_the_call_forward(paged):
    incident, person = paged
    sms = incident.pages.get(kind="sms")
    voice = incident.pages.get(kind="voice")
    assert voice.due_at == T0 + 3 * MINUTE
    Page.objects.filter(pk=sms.pk).update(provider_id="SM9")
    state = page_status(
        page_id=sms.pk, provider_id="SM9", status="undelivered", error_code="30003", now=T0
    )
    assert state == "failed"
    sms.refresh_from_db()
    voice.refresh_from_db()
    assert sms.error == "the provider reports undelivered, error 30003"
    assert voice.due_at == T0 and voice.state == "pending"
    failed = incident.timeline.get(kind=TimelineEntry.Kind.PAGE_FAILED)
    assert "30003" in failed.message
    assert Incident.objects.get(pk=incident.pk).status == "triggered"


@pytest.mark.django_db
def test_4_to_a_bundled_text_acknowledges_every_incident_it_named(demo, recorded, workers):
    from incidents.services import engine

    incidents = [fire(service=name, key=f"b-{name}") for name in ("edge", "auth", "cdn")]
    engine.engine_run(clock=lambda: T0)  # one SMS naming all three
    person = on_call("Primary")
    answer = sms_reply(from_number=phone(person), text="4", now=T0 + MINUTE)
    numbers = sorted(i.number for i in incidents)
    assert answer == replies.done_many("acknowledge", numbers)
    assert set(Incident.objects.values_list("status", flat=True)) == {"acknowledged"}
    again = sms_reply(from_number=phone(person), text="4", now=T0 + MINUTE)
    assert again == replies.already_all(numbers)
