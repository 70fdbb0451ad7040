"""Each signed request from Twilio or Slack acts once: a replay of it (captured and sent again,
or Twilio retrying after a timeout) is answered harmlessly and changes nothing."""

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.db import OperationalError
from django.test import Client

from incidents.models import Incident, TimelineEntry
from incidents.services import responses
from oncall.models import SignedRequest
from tests.fakes.providers import slack_headers

from .conftest import T0
from .providers import FROM, SID, alertmanager, signed_post
from .test_chaos import concurrently
from .test_engine import fire, on_call, phone
from .test_slack import PRIMARY, SECRET, link

MINUTE = timedelta(minutes=1)
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response />'


def inbound_sms(number: str, body: str, sid: str) -> dict:
    """An inbound SMS webhook as Twilio sends it."""
    return {
        "ToCountry": "US",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "SmsSid": sid,
        "SmsStatus": "received",
        "Body": body,
        "To": FROM,
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": SID,
        "From": number,
        "ApiVersion": "2010-04-01",
    }


def declare_fields(title: str) -> dict:
    return {
        "team_id": "T0PLANTAO",
        "channel_id": "C0OPS",
        "user_id": PRIMARY,
        "command": "/incident",
        "text": f"declare {title}",
        "response_url": "https://hooks.slack.com/commands/T0PLANTAO/1/x",
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
    }


def signed_slack(fields: dict, at) -> tuple[str, dict]:
    body = urlencode(fields)
    return body, slack_headers(body, SECRET, int(at.timestamp()))


def post_slack(client, body: str, headers: dict):
    return client.post(
        "/slack/commands/", body, content_type="application/x-www-form-urlencoded", **headers
    )


# Twilio


@pytest.mark.django_db
def test_a_replayed_sms_4_acknowledges_nothing_more_after_a_newer_incident_opened(
    client, twilio, demo, workers
):
    workers.frozen_now(T0)
    first = alertmanager(client)
    workers.run(T0)
    number = phone(on_call("Primary"))
    reply = inbound_sms(number, "4", "SM" + "a" * 32)

    workers.frozen_now(T0 + MINUTE)
    answer = signed_post(client, "/twilio/sms/", reply)
    assert f"Acknowledged #{first.number}" in answer.content.decode()

    workers.frozen_now(T0 + 10 * MINUTE)
    newer = fire(service="edge", key="newer", at=T0 + 10 * MINUTE)
    workers.run(T0 + 10 * MINUTE)
    assert twilio.twilio.messages[-1]["Body"].startswith(f"[Plantao #{newer.number}]")

    workers.frozen_now(T0 + 2 * 60 * MINUTE)  # hours later, the captured request again
    replayed = signed_post(client, "/twilio/sms/", reply)
    assert replayed.status_code == 200 and replayed["Content-Type"].startswith("text/xml")
    assert replayed.content.decode() == EMPTY_TWIML
    newer.refresh_from_db()
    assert newer.status == "triggered" and newer.acknowledged_by is None
    assert not newer.timeline.filter(kind="acknowledged").exists()

    # A reply the person really sent (a message of its own) still acts.
    own = signed_post(client, "/twilio/sms/", inbound_sms(number, "4", "SM" + "b" * 32))
    assert f"Acknowledged #{newer.number}" in own.content.decode()


@pytest.mark.django_db
def test_twilio_retrying_a_reply_after_a_timeout_acts_once(client, twilio, demo, workers):
    workers.frozen_now(T0)
    incident = alertmanager(client)
    workers.run(T0)
    reply = inbound_sms(phone(on_call("Primary")), "6", "SM" + "c" * 32)
    workers.frozen_now(T0 + MINUTE)
    assert (
        f"Resolved #{incident.number}"
        in signed_post(client, "/twilio/sms/", reply).content.decode()
    )
    # Twilio never saw that answer (it timed out): it sends the same request again.
    retried = signed_post(client, "/twilio/sms/", reply)
    assert retried.content.decode() == EMPTY_TWIML
    assert incident.timeline.filter(kind="resolved").count() == 1


@pytest.mark.django_db
def test_a_reply_whose_handling_failed_acts_when_twilio_retries_it(
    client, twilio, demo, workers, monkeypatch
):
    workers.frozen_now(T0)
    incident = alertmanager(client)
    workers.run(T0)
    reply = inbound_sms(phone(on_call("Primary")), "4", "SM" + "d" * 32)
    real = responses.incident_act

    def database_gone(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(responses, "incident_act", database_gone)
    client.raise_request_exception = False
    assert signed_post(client, "/twilio/sms/", reply).status_code == 500
    monkeypatch.setattr(responses, "incident_act", real)
    assert not SignedRequest.objects.exists()  # rolled back with the act
    answer = signed_post(client, "/twilio/sms/", reply)
    assert f"Acknowledged #{incident.number}" in answer.content.decode()
    incident.refresh_from_db()
    assert incident.status == "acknowledged"


# Slack


@pytest.mark.django_db
def test_the_same_signed_incident_declare_twice_opens_one_incident(client, slack, demo, workers):
    workers.frozen_now(T0)
    link(on_call("Primary"), PRIMARY)
    body, headers = signed_slack(declare_fields("Checkout is down"), T0)
    first = post_slack(client, body, headers)
    assert first.json()["text"].startswith("Declared #")
    workers.frozen_now(T0 + MINUTE)  # within the five minutes the signature is good for
    again = post_slack(client, body, headers)
    assert again.status_code == 200 and again.content == b""
    assert Incident.objects.filter(title="Checkout is down").count() == 1
    # The same words, typed again, are a new request (Slack signs a new timestamp): it acts.
    body, headers = signed_slack(declare_fields("Checkout is down"), T0 + MINUTE)
    assert post_slack(client, body, headers).json()["text"].startswith("Declared #")
    assert Incident.objects.filter(title="Checkout is down").count() == 2


@pytest.mark.django_db
def test_a_refused_slack_request_keeps_nothing(client, slack, demo, frozen_now):
    frozen_now(T0)
    body, headers = signed_slack({"payload": "{not json"}, T0)
    response = client.post(
        "/slack/interactions/", body, content_type="application/x-www-form-urlencoded", **headers
    )
    assert response.status_code == 400
    assert not SignedRequest.objects.exists()


# Two copies at once (PostgreSQL: real concurrent transactions)


def _at_once(send, copies: int = 8) -> list:
    """Send `copies` of a request from threads released together, each on its own connection."""
    answers = []
    concurrently(lambda n: answers.append(send(Client())), threads=copies)
    return answers


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_copies_of_one_signed_request_sent_at_once_act_once(twilio, slack, demo, workers):
    workers.frozen_now(T0)
    link(on_call("Primary"), PRIMARY)
    incident = fire(service="auth", key="at-once")
    workers.run(T0)
    workers.frozen_now(T0 + MINUTE)
    reply = inbound_sms(phone(on_call("Primary")), "4", "SM" + "e" * 32)
    answers = _at_once(lambda c: signed_post(c, "/twilio/sms/", reply).content.decode())
    assert sum("Acknowledged" in a for a in answers) == 1
    assert answers.count(EMPTY_TWIML) == len(answers) - 1
    assert TimelineEntry.objects.filter(incident=incident, kind="acknowledged").count() == 1

    body, headers = signed_slack(declare_fields("Declared at once"), T0 + MINUTE)
    statuses = _at_once(lambda c: post_slack(c, body, headers).status_code)
    assert statuses == [200] * len(statuses)
    assert Incident.objects.filter(title="Declared at once").count() == 1
