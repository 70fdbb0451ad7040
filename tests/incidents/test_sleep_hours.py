"""A low-urgency page never wakes anyone: not when it is first due, and not when it is moved
later by the one-text-a-minute hold or by a retry. Every re-timing waits for 08:00 in the
person's zone, across a change of the clocks too."""

from datetime import UTC, datetime, timedelta

import pytest

from incidents.ingest.base import AlertEvent
from incidents.models import Page, Service
from incidents.services import pages
from incidents.services.alerts import alerts_ingest
from oncall import services
from oncall.models import NotificationRule

from .conftest import make_integration

# Saturday 27 March 2027, 21:59 in Lisbon (WET, UTC+0). That night the clocks go forward at
# 01:00 UTC, so the next 08:00 there (WEST) is 07:00 UTC.
BEDTIME = datetime(2027, 3, 27, 21, 59, tzinfo=UTC)
MORNING = datetime(2027, 3, 28, 7, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


@pytest.fixture
def night_owl(demo):
    """Someone in Lisbon texted for low-urgency incidents, at once."""
    person = services.person_create(
        username="owl", display_name="Rita Sousa", time_zone="Europe/Lisbon"
    )
    sms = services.contact_method_create(
        person=person, kind="sms", address="+12125559001", verified=True
    )
    NotificationRule.objects.create(person=person, contact_method=sms, urgency="low")
    return person


def low_urgency_page(person, key: str, at: datetime) -> Page:
    """Open a warning (low urgency on the demo services) and create its page to `person`."""
    edge = Service.objects.get(name="edge")
    integration = edge.integrations.first() or make_integration(edge)
    (result,) = alerts_ingest(
        integration=integration,
        events=[AlertEvent(action="trigger", dedup_key=key, title=key, severity="warning")],
        now=at,
    )
    incident = integration.service.incidents.get(pk=result.incident_number)
    (page,) = pages.pages_create(incident=incident, people=[person], step=0, loop=0, fired_at=at)
    assert page.urgency == "low" and page.due_at == at  # 21:59 there: not yet sleep hours
    return page


@pytest.mark.django_db
def test_a_text_held_by_the_one_a_minute_limit_into_the_night_waits_for_the_morning(
    night_owl, twilio, frozen_now, rings
):
    first = low_urgency_page(night_owl, "disk", BEDTIME)
    frozen_now(BEDTIME)
    assert pages.page_send(page_id=first.pk, now=BEDTIME) == "sent"
    # Half a minute later, a second warning: the number's next turn is at 22:00, sleep hours.
    later = BEDTIME + 30 * SECOND
    second = low_urgency_page(night_owl, "cpu", later)
    frozen_now(later)
    assert pages.page_send(page_id=second.pk, now=later) == "pending"
    second.refresh_from_db()
    assert second.due_at == MORNING
    assert len(twilio.twilio.messages) == 1
    # Nothing goes at 22:00 even if a late doorbell rings; it goes at 08:00.
    assert pages.page_send(page_id=second.pk, now=BEDTIME + 2 * 60 * SECOND) is None
    frozen_now(MORNING)
    assert pages.page_send(page_id=second.pk, now=MORNING) == "sent"
    second.refresh_from_db()
    assert second.interruption == "off"  # a Sunday morning: off hours, not sleep


@pytest.mark.django_db
def test_a_text_turned_away_just_before_the_night_is_tried_again_in_the_morning(
    night_owl, twilio, frozen_now, rings
):
    at = BEDTIME + 58 * SECOND  # 21:59:58: the retry, 5 s later, would be in sleep hours
    page = low_urgency_page(night_owl, "disk", at)
    twilio.twilio.script("429")
    frozen_now(at)
    assert pages.page_send(page_id=page.pk, now=at) == "pending"
    page.refresh_from_db()
    assert page.due_at == MORNING
    assert twilio.twilio.messages == []


@pytest.mark.django_db
def test_a_high_urgency_retry_still_goes_seconds_later_at_night(demo, twilio, frozen_now, rings):
    person = services.person_create(
        username="owl", display_name="Rita Sousa", time_zone="Europe/Lisbon"
    )
    sms = services.contact_method_create(
        person=person, kind="sms", address="+12125559001", verified=True
    )
    NotificationRule.objects.create(person=person, contact_method=sms, urgency="high")
    integration = make_integration(Service.objects.get(name="edge"))
    at = BEDTIME + 58 * SECOND
    (result,) = alerts_ingest(
        integration=integration,
        events=[AlertEvent(action="trigger", dedup_key="k", title="k", severity="critical")],
        now=at,
    )
    incident = integration.service.incidents.get(pk=result.incident_number)
    (page,) = pages.pages_create(incident=incident, people=[person], step=0, loop=0, fired_at=at)
    twilio.twilio.script("429")
    frozen_now(at)
    assert pages.page_send(page_id=page.pk, now=at) == "pending"
    page.refresh_from_db()
    assert page.due_at == at + 5 * SECOND
