"""Noise control: three calls to a number in 15 minutes at most, however many workers place them."""

from datetime import timedelta

import pytest

from incidents.demo import demo_load
from incidents.ingest.base import AlertEvent
from incidents.models import Page, Service
from incidents.services import noise, pages
from incidents.services.alerts import alerts_ingest
from incidents.services.noise import CALL_WINDOW, CALLS_PER_WINDOW, call_turn
from oncall import selectors
from oncall.channels.recording import sends
from oncall.models import Schedule
from tests.incidents.test_chaos import concurrently

from .conftest import T0, make_integration

MINUTE = timedelta(minutes=1)


def test_a_fourth_call_within_the_window_waits_for_the_first_to_leave_it():
    taken = []
    for at in (T0, T0 + MINUTE, T0 + 2 * MINUTE):
        wait, taken = call_turn(taken, at)
        assert wait is None
    assert call_turn(taken, T0 + 3 * MINUTE) == (T0 + CALL_WINDOW, taken)
    wait, kept = call_turn(taken, T0 + CALL_WINDOW + MINUTE)
    assert wait is None and kept == [T0 + 2 * MINUTE, T0 + CALL_WINDOW + MINUTE]


@pytest.mark.django_db
def test_calls_still_being_placed_count_against_the_number(demo, rings):
    person = selectors.oncall_at(schedule=Schedule.objects.get(name="Primary"), at=T0)
    voice = person.contact_methods.get(kind="voice")
    page = Page(contact_method=voice, kind="voice", address=voice.address)
    # Three workers took their turns and are dialling; none has recorded a call yet.
    assert [noise.turn_take(page, now=T0 + n * MINUTE) for n in range(3)] == [None] * 3
    assert noise.turn_take(page, now=T0 + 3 * MINUTE) == T0 + CALL_WINDOW
    # A call that certainly did not happen gives its turn back.
    noise.turn_release(page, now=T0 + MINUTE, taken_at=T0 + MINUTE)
    assert noise.turn_take(page, now=T0 + 3 * MINUTE) is None


@pytest.mark.postgres
def test_workers_calling_one_number_at_once_place_three_calls_at_most(
    transactional_db, settings, tmp_path, rings, frozen_now
):
    settings.PLANTAO_CHANNEL = "recording"
    settings.PLANTAO_RECORDING_PATH = str(tmp_path / "pages.jsonl")
    demo_load()
    frozen_now(T0)
    person = selectors.oncall_at(schedule=Schedule.objects.get(name="Primary"), at=T0)
    voice = person.contact_methods.get(kind="voice")
    rule = person.notification_rules.get(contact_method=voice, urgency="high")
    integration = make_integration(Service.objects.get(name="edge"))
    opened = alerts_ingest(
        integration=integration,
        events=[
            AlertEvent(action="trigger", dedup_key=f"k{n}", title=f"Disk {n}", severity="critical")
            for n in range(8)
        ],
        now=T0,
    )
    ids = [
        Page.objects.create(
            incident_id=result.incident_number,
            step=0,
            loop=0,
            person=person,
            rule_id=rule.pk,
            contact_method=voice,
            kind="voice",
            address=voice.address,
            urgency="high",
            due_at=T0,
            created_at=T0,
        ).pk
        for result in opened
    ]
    concurrently(lambda n: pages.page_send(page_id=ids[n], now=T0), threads=len(ids))
    calls = [s for s in sends(settings.PLANTAO_RECORDING_PATH) if s["kind"] == "voice"]
    assert 1 <= len(calls) <= CALLS_PER_WINDOW
    states = dict(Page.objects.filter(pk__in=ids).values_list("pk", "state"))
    carried = {page for call in calls for page in [call["reference"], *call.get("also", [])]}
    # Every page was either carried by a call or waits for its turn: none lost.
    waiting = Page.objects.filter(pk__in=ids, state="pending")
    assert carried | {f"page-{pk}" for pk in waiting.values_list("pk", flat=True)} == {
        f"page-{pk}" for pk in ids
    }, states
    assert all(due >= T0 + CALL_WINDOW for due in waiting.values_list("due_at", flat=True))


@pytest.mark.django_db
def test_a_text_put_back_to_wait_after_a_bundle_read_it_is_not_sent_early(demo, rings):
    # A worker sending one text reads the other texts due to the number, to carry them too.
    # Between that read and its claim, an engine run puts one of them back to wait for the
    # number's next turn: the claim must leave it waiting, as the database now says.
    person = selectors.oncall_at(schedule=Schedule.objects.get(name="Primary"), at=T0)
    sms = person.contact_methods.get(kind="sms")
    rule = person.notification_rules.get(contact_method=sms, urgency="high")
    opened = alerts_ingest(
        integration=make_integration(Service.objects.get(name="edge")),
        events=[AlertEvent(action="trigger", dedup_key=f"k{n}", title=f"Disk {n}") for n in (1, 2)],
        now=T0,
    )
    sending, other = (
        Page.objects.create(
            incident_id=result.incident_number,
            step=0,
            loop=0,
            person=person,
            rule_id=rule.pk,
            contact_method=sms,
            kind="sms",
            address=sms.address,
            urgency="high",
            due_at=T0,
            created_at=T0,
        )
        for result in opened
    )
    turn = T0 + 5 * MINUTE

    def read_then_put_back(rows):
        read = list(rows)
        Page.objects.filter(pk=other.pk).update(due_at=turn)  # the engine run, meanwhile
        return read

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(noise, "list", read_then_put_back, raising=False)
        claimed = noise.bundle_claim(sending, now=T0, lease_until=T0 + MINUTE)
    assert claimed == []
    other.refresh_from_db()
    assert (other.state, other.due_at) == ("pending", turn)
