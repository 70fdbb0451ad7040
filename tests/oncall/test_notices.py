"""On-call notices: before a shift and after it, each once, in the person's own time."""

from datetime import UTC, datetime, timedelta

import pytest

from oncall import selectors
from oncall.channels.recording import sends
from oncall.demo import demo_load
from oncall.models import ContactMethod, Schedule, ShiftNotice
from oncall.notices import notices_send

# A Wednesday in winter: Primary is Lisbon 08-16 UTC, then São Paulo 16-24 UTC (13-21 there).
DAY = datetime(2027, 1, 13, tzinfo=UTC)


@pytest.fixture
def recorded(db, settings, tmp_path):
    settings.PLANTAO_CHANNEL = "recording"
    settings.PLANTAO_RECORDING_PATH = str(tmp_path / "sent.jsonl")
    demo_load()
    return lambda: sends(settings.PLANTAO_RECORDING_PATH)


def on_call(at):
    return selectors.oncall_at(schedule=Schedule.objects.get(name="Primary"), at=at)


def test_the_next_person_hears_an_hour_ahead_in_their_own_time_once(recorded):
    now = DAY.replace(hour=15, minute=10)
    coming = on_call(DAY.replace(hour=16))
    assert coming.time_zone == "America/Sao_Paulo"
    assert notices_send(now=now) == 1
    (notice,) = recorded()
    sms = ContactMethod.objects.get(person=coming, kind="sms")
    assert (notice["kind"], notice["address"]) == ("sms", sms.address)
    assert notice["body"] == (
        "Plantao: you are on call for Primary from Wed 13:00 (in 50 min) until Wed 21:00, "
        "your time."
    )
    assert notices_send(now=now + timedelta(minutes=1)) == 0  # once, whoever runs it again
    assert ShiftNotice.objects.get().person == coming


def test_the_person_going_off_hears_that_their_shift_ended(recorded):
    leaving = on_call(DAY.replace(hour=15))
    notices_send(now=DAY.replace(hour=16, minute=5))
    ended = [s for s in recorded() if "ended" in s["body"]]
    assert [s["body"] for s in ended] == [
        "Plantao: your Primary shift ended at Wed 16:00. Thank you."
    ]
    assert leaving.time_zone == "Europe/Lisbon"
    assert ShiftNotice.objects.filter(kind="ended", person=leaving).count() == 1


def test_someone_with_no_verified_way_to_be_reached_is_not_told(recorded):
    coming = on_call(DAY.replace(hour=16))
    ContactMethod.objects.filter(person=coming).update(verified_at=None)
    assert notices_send(now=DAY.replace(hour=15, minute=10)) == 0
    assert recorded() == []
