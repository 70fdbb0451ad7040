"""The event checklist, end to end: a person on call during an event with no verified number
makes it fail; once their number is verified and they acknowledge a test page (replying 4 to
the real SMS, through the signed Twilio webhook) it passes."""

from datetime import timedelta

import pytest

from incidents import models
from incidents.big_events import services as big_events
from incidents.big_events.selectors import event_checklist, event_on_call
from incidents.models import Incident
from oncall.models import Schedule

from .big_events_world import event_make, rehearsal_passed
from .conftest import T0
from .providers import signed_post
from .test_engine import on_call, phone

MINUTE = timedelta(minutes=1)
BEFORE = T0 - timedelta(hours=3)  # the checks are run three hours before kick-off


@pytest.mark.django_db
def test_an_unverified_number_fails_the_checklist_until_a_test_page_is_acknowledged(
    client, twilio, demo, workers
):
    event = event_make(start=T0, hours=1)
    rehearsal_passed(finished_at=BEFORE - timedelta(days=2))
    primary, secondary = on_call("Primary"), on_call("Secondary")
    # The primary changed phones: nothing of theirs is verified any more.
    primary.contact_methods.update(verified_at=None)

    workers.frozen_now(BEFORE)
    sent = big_events.test_pages_send(event=event, now=BEFORE)
    assert [t.person for t in sent.sent] == [secondary]
    assert sent.skipped == [primary.display_name]
    workers.run(BEFORE)
    assert [m["To"] for m in twilio.twilio.messages] == [phone(secondary)]
    signed_post(client, "/twilio/sms/", {"From": phone(secondary), "Body": "4"})

    checklist = event_checklist(event=event, now=BEFORE + MINUTE)
    assert checklist.rehearsal.passed and checklist.coverage.passed
    assert not checklist.people.passed and not checklist.passed
    assert f"{primary.display_name}: no verified contact method" in checklist.people.detail
    rows = {row.name: row for row in checklist.rows}
    assert rows[secondary.display_name].ready and rows[secondary.display_name].via == "sms"
    assert not rows[primary.display_name].ready

    # They verify the new number, are sent a test page and reply 4 to it.
    primary.contact_methods.filter(kind="sms").update(verified_at=BEFORE)
    workers.frozen_now(BEFORE + 10 * MINUTE)
    (test_page,) = big_events.test_pages_send(
        event=event, people=[primary], now=BEFORE + 10 * MINUTE
    ).sent
    workers.run(BEFORE + 10 * MINUTE)
    assert twilio.twilio.messages[-1]["To"] == phone(primary)
    assert "Test page for Champions final" in twilio.twilio.messages[-1]["Body"]
    assert not event_checklist(event=event, now=BEFORE + 11 * MINUTE).passed  # not yet answered

    workers.frozen_now(BEFORE + 11 * MINUTE)
    answer = signed_post(client, "/twilio/sms/", {"From": phone(primary), "Body": "4"})
    assert f"Acknowledged #{test_page.incident.number}" in answer.content.decode()

    checklist = event_checklist(event=event, now=BEFORE + 12 * MINUTE)
    assert checklist.passed, checklist.people.detail
    row = {row.name: row for row in checklist.rows}[primary.display_name]
    assert (row.via, row.seconds) == ("sms", 60)
    assert row.verified_methods == ("SMS",)
    # The test incident was resolved at once: no acknowledgement timeout can page again.
    incident = Incident.objects.get(pk=test_page.incident_id)
    assert (incident.kind, incident.status, incident.esc_due_at) == ("test", "resolved", None)


@pytest.mark.django_db
def test_a_test_page_older_than_a_week_or_a_failed_rehearsal_does_not_count(demo, frozen_now):
    event = event_make(start=T0, hours=1)
    rehearsal_passed(finished_at=T0 - timedelta(days=3), passed=False)
    rehearsal_passed(finished_at=T0 - timedelta(days=9))  # passed, but too long ago
    frozen_now(T0 - timedelta(days=8))
    for test_page in big_events.test_pages_send(event=event, now=T0 - timedelta(days=8)).sent:
        Incident.objects.filter(pk=test_page.incident_id).update(
            acknowledged_at=test_page.sent_at + MINUTE, ack_source="web"
        )
    checklist = event_checklist(event=event, now=T0 - timedelta(hours=1))
    assert not checklist.rehearsal.passed and "did not meet its thresholds" in (
        checklist.rehearsal.detail
    )
    assert not checklist.people.passed
    assert all(row.missing == "no test page sent in the last 7 days" for row in checklist.rows)
    assert models.TestPage.objects.filter(event=event).count() == len(checklist.rows)


@pytest.mark.django_db
def test_a_gap_in_a_schedule_during_the_event_fails_coverage_across_a_dst_change(demo):
    # Lisbon's clocks go forward at 01:00 UTC on 28 March 2027; the event spans it.
    start = T0.replace(month=3, day=27, hour=22)
    event = event_make(start=start, hours=6)
    covered = event_checklist(event=event, now=start - timedelta(hours=1))
    assert covered.coverage.passed, covered.coverage.detail
    primary = Schedule.objects.get(name="Primary")
    primary.layers.all().delete()  # nobody left on the primary rota
    gapped = event_checklist(event=event, now=start - timedelta(hours=1))
    assert not gapped.coverage.passed and "Primary" in gapped.coverage.detail
    assert all(gap.schedule == "Primary" for gap in gapped.gaps)
    assert sum((g.end - g.start for g in gapped.gaps), timedelta()) == timedelta(hours=6)


@pytest.mark.django_db
def test_everyone_on_call_during_the_event_is_asked_extra_people_and_schedules_too(demo):
    event = event_make(start=T0, hours=12)
    before = set(event_on_call(event).people)
    helena = demo.manager
    event.extra_people.add(helena)
    after = event_on_call(event).people
    assert helena.pk in after and before < set(after)
    # 12 hours from 10:00 UTC: Lisbon then São Paulo cover Primary.
    names = {p.display_name for p in after.values()}
    assert on_call("Primary", T0).display_name in names
    assert on_call("Primary", T0 + timedelta(hours=8)).display_name in names
