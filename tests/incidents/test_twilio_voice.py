"""Paging calls through the real `twilio` client and the fake Twilio: the call, the TwiML
conversation (4 acknowledges, 6 resolves, * repeats, silence ends it), voicemail, and calls that
nobody answers."""

from datetime import timedelta

import pytest

from incidents.models import Incident, Page, TimelineEntry
from incidents.services import pages
from oncall.channels.base import Message
from oncall.channels.twilio import RING_SECONDS, TwilioVoiceChannel
from tests.fakes.providers import twilio_signature

from .conftest import T0
from .providers import FROM, PUBLIC, SID, TOKEN, alertmanager, signed_post
from .test_engine import on_call, phone

MINUTE = timedelta(minutes=1)


@pytest.fixture
def called(client, twilio, demo, workers):
    """An Alertmanager alert, its SMS at once and, three minutes on, the paging call."""
    workers.frozen_now(T0)
    incident = alertmanager(client)
    workers.run(T0 + 3 * MINUTE)
    return incident, incident.pages.get(kind="voice")


def say(client, page, **params):
    query = f"?reading={params.pop('reading')}" if "reading" in params else ""
    return signed_post(client, f"/twilio/voice/{page.pk}/{query}", {"CallSid": "CA1", **params})


def test_a_call_fetches_its_words_from_plantao_and_detects_machines(twilio):
    channel = TwilioVoiceChannel(
        account_sid=SID,
        auth_token=TOKEN,
        from_number=FROM,
        public_url=PUBLIC,
        api_base=twilio.twilio_base,
    )
    result = channel.send(Message("page-9", "voice", "+12125550101", "s", "b"))
    (call,) = twilio.twilio.calls
    assert result.provider_id == call["sid"]
    assert call["Url"] == f"{PUBLIC}/twilio/voice/9/"
    assert call["StatusCallback"] == f"{PUBLIC}/twilio/status/?page=9"
    assert call["MachineDetection"] == "Enable" and call["Timeout"] == str(RING_SECONDS)


@pytest.mark.django_db
def test_the_call_reads_the_incident_and_4_acknowledges_it(client, called, twilio):
    incident, page = called
    assert [c["To"] for c in twilio.twilio.calls] == [page.address]
    first = say(client, page, AnsweredBy="human").content.decode()
    assert "<Gather" in first and f"Incident {incident.number}, critical" in first
    assert "Press 4 to acknowledge, 6 to resolve, star to repeat." in first
    assert f'action="{PUBLIC}/twilio/voice/{page.pk}/"' in first

    done = say(client, page, Digits="4").content.decode()
    assert f"Incident {incident.number} acknowledged" in done and "<Hangup" in done
    incident.refresh_from_db()
    assert incident.status == "acknowledged" and incident.acknowledged_by == page.person
    entry = incident.timeline.get(kind=TimelineEntry.Kind.ACKNOWLEDGED)
    assert entry.source == "voice"
    again = say(client, page, Digits="4").content.decode()  # Twilio retried the request
    assert "already acknowledged" in again
    assert incident.timeline.filter(kind=TimelineEntry.Kind.ACKNOWLEDGED).count() == 1


@pytest.mark.django_db
def test_6_resolves_and_star_repeats(client, called):
    incident, page = called
    assert "<Gather" in say(client, page, Digits="*").content.decode()
    assert "<Gather" in say(client, page, Digits="9").content.decode()  # a key that means nothing
    assert Incident.objects.get(pk=incident.pk).status == "triggered"
    assert f"Incident {incident.number} resolved" in say(client, page, Digits="6").content.decode()
    assert Incident.objects.get(pk=incident.pk).status == "resolved"


@pytest.mark.django_db
def test_silence_reads_it_once_more_then_hangs_up_without_acknowledging(client, called):
    incident, page = called
    first = say(client, page).content.decode()
    assert f"{PUBLIC}/twilio/voice/{page.pk}/?reading=2" in first  # no key: read again
    second = say(client, page, reading=2).content.decode()
    assert "<Gather" in second and "?reading=3" in second
    last = say(client, page, reading=3).content.decode()
    assert "<Gather" not in last and "<Hangup" in last
    assert Incident.objects.get(pk=incident.pk).status == "triggered"


@pytest.mark.django_db
def test_a_voicemail_hears_the_incident_but_acknowledges_nothing(client, called):
    incident, page = called
    answer = say(client, page, AnsweredBy="machine_end_beep").content.decode()
    assert "does not acknowledge" in answer and "<Gather" not in answer
    assert Incident.objects.get(pk=incident.pk).status == "triggered"


@pytest.mark.django_db
def test_an_unanswered_or_busy_call_fails_the_page_and_escalation_goes_on(client, called, workers):
    incident, page = called
    for status in ("busy", "no-answer"):
        Page.objects.filter(pk=page.pk).update(state="sent")
        path = f"/twilio/status/?page={page.pk}"
        params = {"CallSid": page.provider_id, "CallStatus": status}
        assert signed_post(client, path, params).status_code == 204
        page.refresh_from_db()
        assert page.state == "failed" and page.error == f"the provider reports {status}"
    workers.run(T0 + 5 * MINUTE)  # the next step still pages the Secondary on-call person
    secondary = on_call("Secondary", T0 + 5 * MINUTE)
    assert incident.pages.filter(step=1, person=secondary).exists()


@pytest.mark.django_db
def test_a_completed_call_is_delivered_and_a_forged_call_request_is_refused(client, called):
    incident, page = called
    params = {"CallSid": page.provider_id, "CallStatus": "completed"}
    assert signed_post(client, f"/twilio/status/?page={page.pk}", params).status_code == 204
    assert Page.objects.get(pk=page.pk).state == "delivered"
    forged = twilio_signature(f"{PUBLIC}/twilio/voice/{page.pk}/", {"Digits": "4"}, "not-it")
    response = client.post(
        f"/twilio/voice/{page.pk}/", {"Digits": "4"}, HTTP_X_TWILIO_SIGNATURE=forged
    )
    assert response.status_code == 403
    assert Incident.objects.get(pk=incident.pk).status == "triggered"


@pytest.mark.django_db
def test_a_call_of_unknown_outcome_is_looked_up_not_placed_twice(client, twilio, demo, workers):
    workers.frozen_now(T0)
    incident = alertmanager(client)
    workers.run(T0 + 3 * MINUTE - timedelta(seconds=1))
    twilio.twilio.script("500-after-create")
    workers.run(T0 + 3 * MINUTE)
    page = incident.pages.get(kind="voice")
    assert page.state == "sending" and len(twilio.twilio.calls) == 1
    assert pages.page_reconcile(page_id=page.pk, now=T0 + 5 * MINUTE) == "sent"
    assert len(twilio.twilio.calls) == 1
    assert Page.objects.get(pk=page.pk).provider_id == twilio.twilio.calls[0]["sid"]
    assert phone(on_call("Primary")) == page.address
