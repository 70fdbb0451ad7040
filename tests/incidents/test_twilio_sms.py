"""SMS pages through the real `twilio` client, against a local fake of Twilio's API, and the
signed requests Twilio sends back: replies and delivery callbacks."""

import json
from collections import Counter
from datetime import timedelta

import pytest

from incidents.models import Incident, Page, Service, TimelineEntry
from incidents.services import pages
from incidents.services.integrations import integration_create
from oncall import clock
from oncall.channels import twilio as twilio_channel
from oncall.channels.base import ChannelError, Message, OutcomeUnknown
from oncall.channels.twilio import VALIDITY_SECONDS, TwilioSMSChannel
from tests.fakes.providers import twilio_signature

from .conftest import T0
from .providers import FROM, OLD_TOKEN, PUBLIC, SID, TOKEN, alertmanager, signed_post
from .test_engine import fire, on_call, phone

MINUTE = timedelta(minutes=1)


def channel(fake, timeout=5.0) -> TwilioSMSChannel:
    return TwilioSMSChannel(
        account_sid=SID,
        auth_token=TOKEN,
        from_number=FROM,
        public_url=PUBLIC,
        api_base=fake.twilio_base,
        timeout=timeout,
    )


def message(reference="page-7") -> Message:
    return Message(reference, "sms", "+12125550101", "subject", "[Plantao #7] CRITICAL Disk")


# The channel


def test_a_page_is_one_sms_with_a_validity_period_and_a_callback_naming_it(twilio):
    result = channel(twilio).send(message("page-7"))
    (sent,) = twilio.twilio.messages
    assert result.provider_id == sent["sid"] and result.status == "sent"
    assert (sent["To"], sent["From"], sent["Body"]) == ("+12125550101", FROM, message().body)
    assert sent["ValidityPeriod"] == str(VALIDITY_SECONDS)
    assert sent["StatusCallback"] == f"{PUBLIC}/twilio/status/?page=7"


@pytest.mark.parametrize(
    ("outcome", "raised", "retryable", "created"),
    [
        ("429", ChannelError, True, 0),
        (("400", 21211), ChannelError, False, 0),
        ("500", OutcomeUnknown, None, 0),
        ("500-after-create", OutcomeUnknown, None, 1),
    ],
)
def test_what_twilio_answers_decides_retry_fail_or_look_up(
    twilio, outcome, raised, retryable, created
):
    twilio.twilio.script(outcome)
    with pytest.raises(raised) as caught:
        channel(twilio).send(message())
    if raised is ChannelError:
        assert caught.value.retryable is retryable
    if outcome == ("400", 21211):
        assert "21211" in caught.value.reason
    assert len(twilio.twilio.messages) == created


def test_a_hung_request_is_an_unknown_outcome_that_a_lookup_settles(twilio, frozen_now):
    frozen_now(T0)
    twilio.twilio.script(("hang", 2))
    with pytest.raises(OutcomeUnknown):
        channel(twilio, timeout=0.5).send(message())
    found = channel(twilio).lookup("page-7", message=message(), since=T0)
    assert found is not None and found.provider_id == twilio.twilio.messages[0]["sid"]
    other = Message("page-8", "sms", "+12125550101", "s", "[Plantao #8] CRITICAL Other")
    assert channel(twilio).lookup("page-8", message=other, since=T0) is None


# Signed requests from Twilio


@pytest.mark.django_db
@pytest.mark.parametrize(
    "signature",
    ["", "forged", twilio_signature(PUBLIC + "/twilio/sms/", {"From": "x", "Body": "4"}, "other")],
)
def test_unsigned_or_forged_twilio_requests_are_refused_and_change_nothing(
    client, twilio, demo, signature
):
    params = {"From": "+12125550101", "Body": "4"}
    for path in ("/twilio/sms/", "/twilio/status/?page=1"):
        response = client.post(path, params, HTTP_X_TWILIO_SIGNATURE=signature)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "bad_signature"
    assert not TimelineEntry.objects.exists()


@pytest.mark.django_db
def test_the_signature_is_checked_against_public_url_not_the_host_header(client, twilio, demo):
    params = {"From": "+15550000000", "Body": "4"}
    # Signed for the address the request claims to be for, not the one Twilio was given.
    for_host = twilio_signature("http://localhost/twilio/sms/", params, TOKEN)
    response = client.post(
        "/twilio/sms/", params, HTTP_X_TWILIO_SIGNATURE=for_host, HTTP_HOST="localhost"
    )
    assert response.status_code == 403
    assert signed_post(client, "/twilio/sms/", params).status_code == 200


@pytest.mark.django_db
def test_the_previous_auth_token_works_during_a_rotation_and_not_after(
    client, twilio, demo, settings
):
    params = {"From": "+15550000000", "Body": "4"}
    assert signed_post(client, "/twilio/sms/", params, token=OLD_TOKEN).status_code == 403
    settings.TWILIO_AUTH_TOKEN_PREVIOUS = OLD_TOKEN
    assert signed_post(client, "/twilio/sms/", params, token=OLD_TOKEN).status_code == 200
    assert signed_post(client, "/twilio/sms/", params, token=TOKEN).status_code == 200


# End to end


@pytest.mark.django_db
def test_alert_to_sms_to_a_signed_4_acknowledges_and_nothing_more_is_sent(
    client, twilio, demo, workers
):
    workers.frozen_now(T0)
    incident = alertmanager(client)
    workers.run(T0)
    primary = on_call("Primary")
    (sms,) = twilio.twilio.messages
    assert sms["To"] == phone(primary)
    assert sms["Body"].startswith(f"[Plantao #{incident.number}] CRITICAL ")
    assert sms["Body"].endswith("reply 4 to acknowledge, 6 to resolve")
    assert "/incidents/" not in sms["Body"] and len(sms["Body"]) <= 160  # one segment, no link

    workers.frozen_now(T0 + MINUTE)
    answer = signed_post(client, "/twilio/sms/", {"From": phone(primary), "Body": "4"})
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/xml")
    assert f"Acknowledged #{incident.number}" in answer.content.decode()
    incident.refresh_from_db()
    assert incident.status == "acknowledged" and incident.acknowledged_by == primary

    workers.run(T0 + timedelta(hours=1))
    assert len(twilio.twilio.messages) == 1  # no second SMS, and the 3-minute call was cancelled
    assert not incident.pages.filter(state="pending").exists()
    assert incident.pages.get(kind="voice").state == "cancelled"

    # Twilio retries the reply (it never saw our answer): harmless, one acknowledgement.
    retried = signed_post(client, "/twilio/sms/", {"From": phone(primary), "Body": "4"})
    assert "already acknowledged" in retried.content.decode()
    assert incident.timeline.filter(kind="acknowledged").count() == 1


@pytest.mark.django_db
def test_delivery_and_failure_callbacks_reach_the_page(client, twilio, demo, workers):
    workers.frozen_now(T0)
    incident = alertmanager(client)
    workers.run(T0)
    page = incident.pages.get(kind="sms")
    params = {"MessageSid": page.provider_id, "MessageStatus": "delivered"}
    path = f"/twilio/status/?page={page.pk}"
    assert signed_post(client, path, params).status_code == 204
    assert signed_post(client, path, params).status_code == 204  # a retried callback
    page.refresh_from_db()
    assert page.state == "delivered"
    assert signed_post(client, "/twilio/status/", params).status_code == 400  # names no page


@pytest.mark.django_db
def test_an_undelivered_bundled_text_fails_every_page_it_carried(client, twilio, demo, workers):
    workers.frozen_now(T0)
    incidents = [fire(service=name, key=f"bundled-{name}") for name in ("edge", "auth")]
    workers.run(T0)
    (text,) = twilio.twilio.messages
    assert text["Body"].startswith("[Plantao] 2 open: ")
    params = {"MessageSid": text["sid"], "MessageStatus": "undelivered", "ErrorCode": "30003"}
    path = text["StatusCallback"].removeprefix(PUBLIC)
    assert signed_post(client, path, params).status_code == 204
    for incident in incidents:
        sms = incident.pages.get(kind="sms")
        assert sms.state == "failed" and "undelivered, error 30003" in sms.error
        assert incident.pages.get(kind="voice").due_at == T0  # each incident's call goes now


@pytest.mark.django_db
def test_an_unknown_outcome_is_looked_up_at_twilio_not_sent_again(client, twilio, demo, workers):
    workers.frozen_now(T0)
    twilio.twilio.script("500-after-create")
    incident = alertmanager(client)
    workers.run(T0)
    page = incident.pages.get(kind="sms")
    assert page.state == "sending" and len(twilio.twilio.messages) == 1
    later = T0 + 2 * MINUTE  # past the lease
    workers.frozen_now(later)
    assert pages.page_reconcile(page_id=page.pk, now=later) == "sent"
    page.refresh_from_db()
    assert page.provider_id == twilio.twilio.messages[0]["sid"]
    assert len(twilio.twilio.messages) == 1


@pytest.mark.django_db
def test_a_429_is_tried_again_shortly_and_then_goes_out_once(client, twilio, demo, workers):
    workers.frozen_now(T0)
    twilio.twilio.script("429", "429")
    incident = alertmanager(client)
    workers.run(T0 + 30 * timedelta(seconds=1))
    page = incident.pages.get(kind="sms")
    assert page.state == "sent" and page.attempts == 3
    assert [m["To"] for m in twilio.twilio.messages] == [page.address]


@pytest.mark.django_db
def test_thirty_percent_faults_every_page_ends_sent_or_failed_with_a_reason(
    client, twilio, demo, workers, monkeypatch
):
    """The fake fails 30% of sends (500, 429, hangs longer than the client waits): each SMS page
    still ends sent or explicitly failed, none is sent twice, and escalation goes on. One alert a
    minute and a half, so that most texts go alone (one a minute per number) and meet faults."""
    twilio.twilio.fault_rate(0.3, seed=7, hang=0.6)
    auth = Service.objects.get(name="auth")
    integration, token = integration_create(service=auth, kind="webhook")
    # The hangs outlast the client's patience: unknown outcomes, to be looked up.
    monkeypatch.setattr(twilio_channel, "TIMEOUT_SECONDS", 0.3)
    at = T0
    for n in range(30):  # every 30 s for 15 minutes: alerts, retries, reconciliations, steps
        workers.frozen_now(at)
        if n % 3 == 0 and n < 24:
            client.post(
                f"/integrations/webhook/{token}/",
                json.dumps({"title": f"Fault {n}", "status": "firing", "dedup_key": f"f{n}"}),
                content_type="application/json",
            )
        workers.run(at)
        for page in Page.objects.filter(state="sending", lease_until__lt=at):
            pages.page_reconcile(page_id=page.pk, now=at)
        at += MINUTE / 2
    sms = Page.objects.filter(kind="sms", incident__service=auth)
    assert not sms.filter(state__in=["pending", "sending"], due_at__lt=at - 2 * MINUTE)
    for page in sms.filter(state="failed"):
        assert page.error, page
    creates = [path for method, path in twilio.requests if method == "POST"]
    print(f"\n{len(creates)} sends tried, {len(twilio.twilio.messages)} made at Twilio; pages:")
    print(dict(Counter(sms.values_list("state", flat=True))))
    assert len(creates) > len(twilio.twilio.messages)  # faults happened, and were lived through
    texts = [(m["To"], m["Body"]) for m in twilio.twilio.messages]
    assert len(texts) == len(set(texts))  # no text went out twice
    made = {m["sid"] for m in twilio.twilio.messages}
    sent = sms.filter(state__in=["sent", "delivered"])
    assert set(sent.values_list("provider_id", flat=True)) == made  # each text is some page's
    assert sent.count() >= len(made) >= 8
    assert Incident.objects.filter(service=auth, esc_step__gt=0).count() == 8  # steps went on


@pytest.mark.django_db
def test_twilio_traffic_leaves_no_numbers_or_tokens_in_the_logs(
    client, twilio, demo, workers, caplog
):
    caplog.set_level("INFO")  # the production default (LOG_LEVEL)
    workers.frozen_now(T0)
    twilio.twilio.script("500-after-create")  # so that the send is also looked up, by number
    incident = alertmanager(client)
    workers.run(T0)
    page = incident.pages.get(kind="sms")
    assert pages.page_reconcile(page_id=page.pk, now=T0 + 2 * MINUTE) == "sent"
    primary = on_call("Primary")
    signed_post(client, "/twilio/sms/", {"From": phone(primary), "Body": "4"})
    assert twilio.twilio.messages
    logged = "\n".join(f"{r.name}: {r.getMessage()}" for r in caplog.records)
    assert phone(primary) not in logged and TOKEN not in logged and SID not in logged


@pytest.mark.django_db
def test_a_new_number_is_verified_by_replying_the_code_it_was_texted(client, twilio, demo):
    from oncall import services
    from oncall.models import ContactMethod, Person
    from oncall.verification import verification_start

    person = Person.objects.first()
    method = services.contact_method_create(person=person, kind="sms", address="+12125559999")
    verification_start(method=method, now=clock.now())
    (text,) = [m for m in twilio.twilio.messages if m["To"] == "+12125559999"]
    code = text["Body"].split("code is ")[1][:6]
    # Until verified, the number is a stranger: a 4 from it changes nothing.
    stranger = signed_post(client, "/twilio/sms/", {"From": "+12125559999", "Body": "4"})
    assert "not a verified contact" in stranger.content.decode()
    answer = signed_post(client, "/twilio/sms/", {"From": "+12125559999", "Body": code})
    assert f"verified for {person.display_name}" in answer.content.decode()
    assert ContactMethod.objects.get(pk=method.pk).verified_at is not None
