"""Twilio's throughput (one SMS segment a second from a long-code number, one call a second for
an account) kept with a queue: texts beyond it wait their turn at the fake Twilio, none is
dropped, none is sent twice, and the one-a-minute rule per person still holds."""

from datetime import timedelta

import pytest

from incidents.models import Incident, Page, Service
from incidents.services import pages
from oncall.models import ContactMethod, Person, SendPace

from .conftest import T0

SECOND, MINUTE = timedelta(seconds=1), timedelta(minutes=1)


def texted_people(count: int) -> list[Person]:
    """People of the demo whose first rule is an immediate SMS, `count` of them."""
    people = list(Person.objects.filter(contact_methods__kind="sms").distinct()[:count])
    assert len(people) == count
    return people


def incident(number: int) -> Incident:
    return Incident.objects.create(
        service=Service.objects.get(name="auth"),
        title=f"Disk full {number}",
        severity="critical",
        urgency="high",
        status="triggered",
        created_at=T0,
        dedup_key=f"disk-{number}",
    )


def page_now(people: list[Person], at, number: int = 1) -> list[Page]:
    """Page `people` for a new incident at `at`, sending what is due at once, as the engine does."""
    created = pages.pages_create(
        incident=incident(number), people=people, step=0, loop=0, fired_at=at, send_due=True
    )
    pages.pages_send_created(created, now=at)
    return created


def arrivals(fake, to: str | None = None) -> list:
    """When each text reached the fake Twilio (to `to`), in order."""
    texts = [m for m in fake.twilio.messages if to is None or m["To"] == to]
    return [fake.twilio.arrived_at[m["sid"]] for m in texts]


@pytest.mark.django_db
def test_texts_to_many_people_at_once_leave_one_a_second_and_all_arrive(
    twilio, demo, workers, settings
):
    settings.TWILIO_SMS_SEGMENTS_PER_SECOND = 1
    workers.frozen_now(T0)
    people = texted_people(6)
    page_now(people, T0)
    assert len(twilio.twilio.messages) == 1  # the others wait their turn at our number

    workers.run(T0 + 10 * SECOND)
    texts = Page.objects.filter(kind="sms")
    assert sorted(m["To"] for m in twilio.twilio.messages) == sorted(
        texts.values_list("address", flat=True)
    )
    assert set(texts.values_list("state", flat=True)) == {"sent"}
    at = arrivals(twilio)
    assert [b - a for a, b in zip(at, at[1:], strict=False)] == [SECOND] * 5


@pytest.mark.django_db
def test_a_short_code_rate_sends_a_hundred_a_second(twilio, demo, workers, settings):
    settings.TWILIO_SMS_SEGMENTS_PER_SECOND = 100
    workers.frozen_now(T0)
    page_now(texted_people(6), T0)
    workers.run(T0 + SECOND)
    at = arrivals(twilio)
    assert [b - a for a, b in zip(at, at[1:], strict=False)] == [SECOND / 100] * 5


@pytest.mark.django_db
def test_with_no_limit_kept_here_nothing_waits(twilio, demo, workers, settings):
    settings.TWILIO_SMS_SEGMENTS_PER_SECOND = 0
    workers.frozen_now(T0)
    page_now(texted_people(6), T0)
    assert len(twilio.twilio.messages) == 6
    assert not SendPace.objects.exists()


@pytest.mark.django_db
def test_a_waiting_text_keeps_its_place_and_its_person_is_not_texted_twice_in_the_minute(
    twilio, demo, workers, settings
):
    settings.TWILIO_SMS_SEGMENTS_PER_SECOND = 1
    workers.frozen_now(T0)
    first, second, third = texted_people(3)
    page_now([first, second, third], T0)  # first goes; second at +1 s, third at +2 s
    waiting = Page.objects.get(person=third, kind="sms")
    assert (waiting.state, waiting.due_at) == ("pending", T0 + 2 * SECOND)

    # Meanwhile another person is paged: their text queues behind, not in front of, the third.
    (fourth,) = [
        p
        for p in Person.objects.filter(contact_methods__kind="sms").distinct()
        if p not in (first, second, third)
    ][:1]
    page_now([fourth], T0 + SECOND / 2, number=2)
    assert Page.objects.get(person=fourth, kind="sms").due_at == T0 + 3 * SECOND

    # And a new incident for the third person, while their text waits, goes a minute after it.
    page_now([third], T0 + SECOND, number=3)
    workers.run(T0 + 5 * MINUTE)
    to_third = arrivals(twilio, ContactMethod.objects.get(person=third, kind="sms").address)
    assert len(to_third) == 2 and to_third[1] - to_third[0] >= MINUTE
    assert Page.objects.filter(kind="sms", state="pending").count() == 0
    sids = [m["sid"] for m in twilio.twilio.messages]
    assert len(sids) == len(set(sids))


@pytest.mark.django_db
def test_a_text_whose_predecessor_left_late_keeps_the_full_second_after_it(
    twilio, demo, workers, settings
):
    settings.TWILIO_SMS_SEGMENTS_PER_SECOND = 1
    workers.frozen_now(T0)
    page_now(texted_people(2), T0)  # the first goes now, the second is due at +1 s
    # Say the first left half a second late (a busy worker): the second keeps its distance.
    SendPace.objects.update(departs_after=T0 + SECOND + SECOND / 2)
    workers.run(T0 + 5 * SECOND)
    first, second = arrivals(twilio)
    assert second == T0 + SECOND + SECOND / 2


@pytest.mark.django_db
def test_a_text_turned_away_with_429_queues_anew_when_it_is_tried_again(
    twilio, demo, workers, settings
):
    settings.TWILIO_SMS_SEGMENTS_PER_SECOND = 1
    workers.frozen_now(T0)
    twilio.twilio.script("429")
    (person,) = texted_people(1)
    page_now([person], T0)
    page = Page.objects.get(person=person, kind="sms")
    assert page.state == "pending" and page.paced_at is None
    workers.run(T0 + MINUTE)
    page.refresh_from_db()
    assert page.state == "sent" and len(twilio.twilio.messages) == 1


@pytest.mark.django_db
def test_calls_to_several_people_at_once_are_placed_one_a_second(twilio, demo, workers, settings):
    settings.TWILIO_CALLS_PER_SECOND = 1
    workers.frozen_now(T0)
    people = list(Person.objects.filter(contact_methods__kind="voice").distinct()[:3])
    created = pages.pages_create(
        incident=incident(1), people=people, step=0, loop=0, fired_at=T0, send_due=False
    )
    calls = [p for p in created if p.kind == "voice"]
    Page.objects.filter(pk__in=[p.pk for p in calls]).update(due_at=T0)
    workers.run(T0 + 5 * SECOND)
    placed = Page.objects.filter(kind="voice").order_by("sent_at")
    times = list(placed.values_list("sent_at", flat=True))
    assert len(times) == 3 and len(twilio.twilio.calls) == 3
    assert [b - a for a, b in zip(times, times[1:], strict=False)] == [SECOND, SECOND]
