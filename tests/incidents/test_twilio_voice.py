"""Paging calls through the real `twilio` client and the fake Twilio: the call, the TwiML
conversation (4 acknowledges, 6 resolves, * repeats, silence ends it), voicemail, calls that
nobody answers, and one call carrying every incident due to a number at once."""

from datetime import timedelta

import pytest

from incidents.models import Incident, Page, TimelineEntry
from incidents.services import pages
from incidents.services.incidents import incident_resolve
from oncall.channels.base import Message
from oncall.channels.twilio import RING_SECONDS, TwilioVoiceChannel
from oncall.models import NotificationRule
from tests.fakes.providers import twilio_signature

from .conftest import T0
from .providers import FROM, PUBLIC, SID, TOKEN, alertmanager, signed_post
from .test_engine import fire, on_call, phone

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


# One call, several incidents: noise control bundles calls as it bundles texts.


@pytest.fixture
def called_together(client, twilio, demo, workers):
    """Two incidents paging the Primary on-call person at the same moment: one text at once,
    one call three minutes on (and an e-mail rule at ten minutes, the next contact method)."""
    primary = on_call("Primary")
    NotificationRule.objects.create(
        person=primary,
        contact_method=primary.contact_methods.get(kind="email"),
        delay_minutes=10,
        urgency="high",
    )
    workers.frozen_now(T0)
    incidents = [fire(service=name, key=f"together-{name}") for name in ("edge", "auth")]
    workers.run(T0 + 3 * MINUTE)
    return incidents, primary


def twilio_asks(client, call, url_field, params):
    """POST, signed, to the URL Twilio was given for `call` (its TwiML or its status callback)."""
    path = call[url_field].removeprefix(PUBLIC)
    joiner = "&" if "?" in path else "?"
    reading = params.pop("reading", None)
    path += f"{joiner}reading={reading}" if reading else ""
    return signed_post(client, path, {"CallSid": call["sid"], **params})


@pytest.mark.django_db
def test_two_incidents_due_at_once_make_one_call_that_names_both(client, called_together, twilio):
    incidents, primary = called_together
    (call,) = twilio.twilio.calls
    assert call["To"] == phone(primary)
    calls = Page.objects.filter(kind="voice")
    assert {p.incident_id for p in calls} == {i.pk for i in incidents}
    assert {(p.state, p.provider_id) for p in calls} == {("sent", call["sid"])}
    words = twilio_asks(client, call, "Url", {"AnsweredBy": "human"}).content.decode()
    assert "<Gather" in words and "2 open incidents." in words
    newer, older = sorted(incidents, key=lambda i: -i.number)
    assert words.index(f"Incident {newer.number}, critical") < words.index(
        f"Incident {older.number}, critical"
    )
    assert "Press 4 to acknowledge all, 6 to resolve all, star to repeat." in words
    again = twilio_asks(client, call, "Url", {"reading": 2}).content.decode()
    assert "2 open incidents." in again and "?reading=3" in again


@pytest.mark.django_db
def test_4_in_a_call_carrying_two_incidents_acknowledges_both(client, called_together, twilio):
    incidents, primary = called_together
    (call,) = twilio.twilio.calls
    done = twilio_asks(client, call, "Url", {"Digits": "4"}).content.decode()
    newer, older = sorted(incidents, key=lambda i: -i.number)
    assert f"Incidents {newer.number} and {older.number} acknowledged. Goodbye." in done
    assert "<Hangup" in done
    for incident in incidents:
        incident.refresh_from_db()
        assert incident.status == "acknowledged" and incident.acknowledged_by == primary
        (entry,) = incident.timeline.filter(kind=TimelineEntry.Kind.ACKNOWLEDGED)
        assert entry.source == "voice"
    again = twilio_asks(client, call, "Url", {"Digits": "4"}).content.decode()  # a retry
    assert f"Incidents {newer.number} and {older.number} were already acknowledged." in again
    assert TimelineEntry.objects.filter(kind=TimelineEntry.Kind.ACKNOWLEDGED).count() == 2


@pytest.mark.django_db
def test_6_resolves_every_incident_of_the_call(client, called_together, twilio):
    incidents, primary = called_together
    (call,) = twilio.twilio.calls
    newer, older = sorted(incidents, key=lambda i: -i.number)
    done = twilio_asks(client, call, "Url", {"Digits": "6"}).content.decode()
    assert f"Incidents {newer.number} and {older.number} resolved." in done
    assert set(Incident.objects.values_list("status", flat=True)) == {"resolved"}


@pytest.mark.django_db
def test_an_incident_resolved_during_the_call_is_no_longer_read_or_acted_on(
    client, called_together, twilio
):
    incidents, primary = called_together
    (call,) = twilio.twilio.calls
    newer, older = sorted(incidents, key=lambda i: -i.number)
    incident_resolve(incident=newer, now=T0 + 3 * MINUTE, source="web")
    words = twilio_asks(client, call, "Url", {"Digits": "*"}).content.decode()
    assert f"Incident {older.number}, critical" in words and f"Incident {newer.number}" not in words
    assert "Press 4 to acknowledge, 6 to resolve, star to repeat." in words
    done = twilio_asks(client, call, "Url", {"Digits": "4"}).content.decode()
    assert f"Incident {older.number} acknowledged. Goodbye." in done
    assert Incident.objects.get(pk=older.pk).status == "acknowledged"
    assert Incident.objects.get(pk=newer.pk).status == "resolved"


@pytest.mark.django_db
def test_no_answer_fails_every_page_of_the_call_and_moves_each_incident_on(
    client, called_together, twilio, workers
):
    incidents, primary = called_together
    (call,) = twilio.twilio.calls
    answer = twilio_asks(client, call, "StatusCallback", {"CallStatus": "no-answer"})
    assert answer.status_code == 204
    for incident in incidents:
        (voice,) = incident.pages.filter(kind="voice")
        assert voice.state == "failed" and voice.error == "the provider reports no-answer"
        assert incident.timeline.filter(kind=TimelineEntry.Kind.PAGE_FAILED).count() == 1
        # The next contact method, an e-mail due at ten minutes, goes now instead.
        (later,) = incident.pages.filter(kind="email", due_at__gt=T0)
        assert later.due_at == T0 + 3 * MINUTE
    workers.run(T0 + 3 * MINUTE)
    assert set(
        Page.objects.filter(kind="email", due_at=T0 + 3 * MINUTE).values_list("state", flat=True)
    ) == {"sent"}
    assert all(i.status == "triggered" for i in Incident.objects.all())


@pytest.mark.django_db
def test_a_completed_call_delivers_every_page_it_carried(client, called_together, twilio):
    (call,) = twilio.twilio.calls
    twilio_asks(client, call, "StatusCallback", {"CallStatus": "completed"})
    assert set(Page.objects.filter(kind="voice").values_list("state", flat=True)) == {"delivered"}


@pytest.mark.django_db
def test_a_voicemail_reads_every_incident_of_the_call_and_acknowledges_none(
    client, called_together, twilio
):
    incidents, primary = called_together
    (call,) = twilio.twilio.calls
    words = twilio_asks(client, call, "Url", {"AnsweredBy": "machine_end_beep"}).content.decode()
    assert "2 open incidents." in words and "does not acknowledge them" in words
    assert all(f"Incident {i.number}, critical" in words for i in incidents)
    assert "<Gather" not in words and "<Hangup" in words
    assert set(Incident.objects.values_list("status", flat=True)) == {"triggered"}
    assert not TimelineEntry.objects.filter(kind=TimelineEntry.Kind.ACKNOWLEDGED).exists()


@pytest.mark.django_db
def test_a_call_carrying_several_counts_once_among_three_calls_in_15_minutes(
    client, twilio, demo, workers
):
    workers.frozen_now(T0)
    fire(service="edge", key="first"), fire(service="auth", key="second")  # one call at T0+3
    fire(service="cdn", key="third", at=T0 + MINUTE)  # its own call at T0+4
    fire(service="catalog", key="fourth", at=T0 + 2 * MINUTE)  # and T0+5: the third call
    workers.run(T0 + 5 * MINUTE)
    number = phone(on_call("Primary"))
    assert [c["To"] for c in twilio.twilio.calls].count(number) == 3
    fire(service="playback", key="fifth", at=T0 + 5 * MINUTE)
    workers.run(T0 + 8 * MINUTE)  # a fourth call waits for the first to leave the window
    assert [c["To"] for c in twilio.twilio.calls].count(number) == 3
    waiting = Page.objects.get(kind="voice", incident__service__name="playback")
    assert waiting.state == "pending" and waiting.due_at == T0 + 18 * MINUTE


@pytest.mark.django_db
def test_a_single_incident_call_is_as_before(client, called):
    incident, page = called
    number = incident.number
    url = f"{PUBLIC}/twilio/voice/{page.pk}/"
    assert say(client, page, AnsweredBy="human").content.decode() == (
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        f'<Gather action="{url}" finishOnKey="" method="POST" numDigits="1" timeout="8">'
        f'<Say voice="Polly.Joanna">This is Plantão. Incident {number}, critical: '
        f"{' '.join(incident.title.split())[:300]}.</Say>"
        '<Say voice="Polly.Joanna">Press 4 to acknowledge, 6 to resolve, star to repeat.</Say>'
        f'</Gather><Redirect method="POST">{url}?reading=2</Redirect></Response>'
    )
    machine = say(client, page, AnsweredBy="machine_start").content.decode()
    assert "does not acknowledge it. Open Plantão" in machine
    assert (
        say(client, page, Digits="4")
        .content.decode()
        .endswith(
            f'<Say voice="Polly.Joanna">Incident {number} acknowledged. Goodbye.</Say>'
            "<Hangup /></Response>"
        )
    )
