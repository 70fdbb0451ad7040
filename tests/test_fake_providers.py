"""The fake providers speak Twilio's and Slack's APIs as the real clients expect them to, fail as
they are told to, and sign callbacks as Twilio and Slack do: later tests can trust them."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from tests.fakes.providers import FakeProviders, slack_headers, twilio_signature

SID = "AC" + "0" * 32
TOKEN = "fake-twilio-token"
SLACK_TOKEN = "xoxb-fake"
PAGER = "+15005550006"
ALICE, BOB = "+12125550101", "+12125550102"


@pytest.fixture
def fake():
    with FakeProviders(
        twilio_account_sid=SID, twilio_auth_token=TOKEN, slack_token=SLACK_TOKEN
    ) as running:
        yield running


def twilio_client(fake, *, token=TOKEN, timeout=5):
    client = Client(SID, token, http_client=TwilioHttpClient(timeout=timeout))
    client.api.base_url = fake.twilio_base
    return client


@pytest.fixture
def twilio(fake):
    return twilio_client(fake)


@pytest.fixture
def slack(fake):
    return WebClient(token=SLACK_TOKEN, base_url=fake.slack_base, timeout=5)


def text(client, to=ALICE, body="[P1] Checkout down"):
    return client.messages.create(
        to=to,
        from_=PAGER,
        body=body,
        status_callback="https://plantao.example/twilio/status?page=7",
        validity_period=600,
    )


# Twilio


def test_a_created_message_is_recorded_with_the_form_fields_sent(fake, twilio):
    message = text(twilio)

    assert message.sid.startswith("SM") and len(message.sid) == 34
    assert (message.status, message.to, message.from_) == ("queued", ALICE, PAGER)
    assert message.body == "[P1] Checkout down"
    assert message.date_created.tzinfo is not None
    assert fake.twilio.messages == [
        {
            "To": ALICE,
            "From": PAGER,
            "Body": "[P1] Checkout down",
            "StatusCallback": "https://plantao.example/twilio/status?page=7",
            "ValidityPeriod": "600",
            "sid": message.sid,
            "status": "queued",
        }
    ]
    assert ("POST", f"/twilio/2010-04-01/Accounts/{SID}/Messages.json") in fake.requests


def test_segments_are_counted_as_twilio_bills_them(twilio):
    assert text(twilio, body="a" * 160).num_segments == "1"
    assert text(twilio, body="a" * 161).num_segments == "2"
    assert text(twilio, body="Plantão" + "a" * 63).num_segments == "1"  # ã is not GSM-7
    assert text(twilio, body="Plantão" + "a" * 64).num_segments == "2"


def test_a_message_is_fetched_by_sid(twilio):
    sent = text(twilio)

    fetched = twilio.messages(sent.sid).fetch()

    assert (fetched.sid, fetched.status, fetched.body) == (sent.sid, "queued", sent.body)
    assert fetched.error_code is None


def test_an_unknown_sid_is_a_404(twilio):
    with pytest.raises(TwilioRestException) as raised:
        twilio.messages("SM" + "f" * 32).fetch()

    assert (raised.value.status, raised.value.code) == (404, 20404)


def test_messages_are_listed_by_to_from_and_date_newest_first(twilio):
    first, other, last = text(twilio), text(twilio, to=BOB), text(twilio)
    a_minute_ago = datetime.now(UTC) - timedelta(minutes=1)

    assert [m.sid for m in twilio.messages.list(to=ALICE)] == [last.sid, first.sid]
    assert [m.sid for m in twilio.messages.list(to=BOB, from_=PAGER)] == [other.sid]
    assert twilio.messages.list(to=BOB, from_="+15550000000") == []
    recent = twilio.messages.list(to=ALICE, date_sent_after=a_minute_ago, limit=50)
    assert len(recent) == 2
    assert twilio.messages.list(to=ALICE, date_sent_after=a_minute_ago + timedelta(hours=1)) == []


def test_a_listing_follows_next_page_uri(twilio):
    sids = [text(twilio).sid for _ in range(3)]

    assert [m.sid for m in twilio.messages.list(to=ALICE, page_size=2)] == sids[::-1]


def test_a_wrong_auth_token_is_a_401(fake):
    with pytest.raises(TwilioRestException) as raised:
        text(twilio_client(fake, token="not-the-token"))

    assert (raised.value.status, raised.value.code) == (401, 20003)
    assert fake.twilio.messages == []


def test_a_scripted_500_creates_nothing(fake, twilio):
    fake.twilio.script("500")

    with pytest.raises(TwilioRestException) as raised:
        text(twilio)

    assert raised.value.status == 500
    assert fake.twilio.messages == []


def test_a_500_after_create_records_the_message_the_client_cannot_see(fake, twilio):
    fake.twilio.script("500-after-create")

    with pytest.raises(TwilioRestException) as raised:
        text(twilio)

    assert raised.value.status == 500
    [recorded] = fake.twilio.messages
    assert [m.sid for m in twilio.messages.list(to=ALICE)] == [recorded["sid"]]


def test_a_scripted_429_says_when_to_retry_and_creates_nothing(fake, twilio):
    fake.twilio.script("429")

    with pytest.raises(TwilioRestException) as raised:
        text(twilio)

    assert raised.value.status == 429
    assert twilio.http_client._test_only_last_response.headers["Retry-After"] == "1"
    assert fake.twilio.messages == []


def test_a_scripted_400_carries_twilios_error_code(fake, twilio):
    fake.twilio.script(("400", 21211))

    with pytest.raises(TwilioRestException) as raised:
        text(twilio)

    assert (raised.value.status, raised.value.code) == (400, 21211)
    assert "not a valid phone number" in raised.value.msg
    assert fake.twilio.messages == []


def test_scripted_outcomes_are_used_in_order_then_ok(fake, twilio):
    fake.twilio.script("500", "429")
    statuses = []
    for _ in range(3):
        try:
            statuses.append(text(twilio).status)
        except TwilioRestException as error:
            statuses.append(error.status)

    assert statuses == [500, 429, "queued"]
    assert len(fake.twilio.messages) == 1


def test_a_hang_longer_than_the_timeout_times_out_yet_creates(fake):
    fake.twilio.script(("hang", 5))

    with pytest.raises(requests.exceptions.Timeout):
        text(twilio_client(fake, timeout=1))

    assert len(fake.twilio.messages) == 1


def test_an_unknown_outcome_is_refused():
    with pytest.raises(ValueError):
        FakeProviders().twilio.script("teapot")
    with pytest.raises(ValueError):
        FakeProviders().slack.script("500-after-create")


def test_a_fault_rate_mixes_500_429_and_hangs_until_set_to_zero(fake):
    twilio = twilio_client(fake, timeout=0.2)
    fake.twilio.fault_rate(0.5, seed=1, hang=0.4)
    outcomes = []
    for _ in range(30):
        try:
            outcomes.append(text(twilio).status)
        except TwilioRestException as error:
            outcomes.append(error.status)
        except requests.exceptions.Timeout:
            outcomes.append("timeout")

    assert set(outcomes) == {"queued", 500, 429, "timeout"}
    created = outcomes.count("queued") + outcomes.count("timeout")
    assert len(fake.twilio.messages) == created

    fake.twilio.fault_rate(0)
    assert [text(twilio).status for _ in range(10)] == ["queued"] * 10


def test_a_call_is_created_and_fetched(fake, twilio):
    call = twilio.calls.create(
        to=ALICE,
        from_=PAGER,
        url="https://plantao.example/twilio/voice?page=7",
        status_callback="https://plantao.example/twilio/call-status?page=7",
        machine_detection="Enable",
    )

    assert call.sid.startswith("CA") and len(call.sid) == 34
    assert (call.status, call.to) == ("queued", ALICE)
    assert twilio.calls(call.sid).fetch().from_formatted == PAGER
    [recorded] = fake.twilio.calls
    assert recorded["Url"] == "https://plantao.example/twilio/voice?page=7"
    assert recorded["MachineDetection"] == "Enable"
    assert recorded["sid"] == call.sid


def test_set_status_moves_a_message_and_a_call(fake, twilio):
    message = text(twilio)
    call = twilio.calls.create(to=ALICE, from_=PAGER, url="https://plantao.example/voice")

    fake.twilio.set_status(message.sid, "undelivered", error_code=30003)
    fake.twilio.set_status(call.sid, "completed", duration="12")

    fetched = twilio.messages(message.sid).fetch()
    assert (fetched.status, fetched.error_code) == ("undelivered", 30003)
    assert fetched.error_message == "Unreachable destination handset"
    assert fake.twilio.messages[0]["status"] == "undelivered"
    assert twilio.calls(call.sid).fetch().duration == "12"
    assert [c.sid for c in twilio.calls.list(to=ALICE, status="completed")] == [call.sid]
    assert twilio.calls.list(to=ALICE, status="queued") == []


# Slack


def test_chat_post_message_update_and_ephemeral(fake, slack):
    posted = slack.chat_postMessage(channel="C0INCIDENTS", text="[P1] Checkout down")
    again = slack.chat_postMessage(channel="C0INCIDENTS", text="[P2] Slow search")
    updated = slack.chat_update(channel=posted["channel"], ts=posted["ts"], text="Acknowledged")
    ephemeral = slack.chat_postEphemeral(channel="C0INCIDENTS", user="U0ALICE", text="Only you")

    assert (posted["channel"], posted["message"]["text"]) == ("C0INCIDENTS", "[P1] Checkout down")
    assert posted["ts"] != again["ts"]
    assert (updated["channel"], updated["ts"]) == ("C0INCIDENTS", posted["ts"])
    assert ephemeral["message_ts"]
    assert fake.slack.calls[0] == {
        "method": "chat.postMessage",
        "channel": "C0INCIDENTS",
        "text": "[P1] Checkout down",
    }
    assert [call["method"] for call in fake.slack.calls] == [
        "chat.postMessage",
        "chat.postMessage",
        "chat.update",
        "chat.postEphemeral",
    ]


def test_conversations_open_gives_the_direct_channel_and_auth_test_is_ok(slack):
    opened = slack.conversations_open(users="U0ALICE")

    assert opened["channel"]["id"] == "D0ALICE"
    assert slack.chat_postMessage(channel="D0ALICE", text="You are paged")["ok"]
    assert slack.auth_test()["ok"]


def test_a_bad_slack_token_is_invalid_auth(fake):
    client = WebClient(token="xoxb-wrong", base_url=fake.slack_base)

    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C0INCIDENTS", text="hi")

    assert raised.value.response["error"] == "invalid_auth"


def test_an_unknown_slack_method_is_refused(slack):
    with pytest.raises(SlackApiError) as raised:
        slack.api_call("chat.teleport")

    assert raised.value.response["error"] == "unknown_method"


def test_a_scripted_slack_429_says_when_to_retry(fake, slack):
    fake.slack.script("429")

    with pytest.raises(SlackApiError) as raised:
        slack.chat_postMessage(channel="C0INCIDENTS", text="hi")

    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "1"
    assert slack.chat_postMessage(channel="C0INCIDENTS", text="hi")["ok"]


def test_scripted_slack_errors_and_500(fake, slack):
    fake.slack.script(("error", "channel_not_found"), "500")

    with pytest.raises(SlackApiError) as not_found:
        slack.chat_postMessage(channel="C0GONE", text="hi")
    with pytest.raises(SlackApiError) as broken:
        slack.chat_postMessage(channel="C0GONE", text="hi")

    assert not_found.value.response.status_code == 200
    assert not_found.value.response["error"] == "channel_not_found"
    assert broken.value.response.status_code == 500


def test_a_slack_hang_times_out(fake):
    fake.slack.script(("hang", 5))
    client = WebClient(token=SLACK_TOKEN, base_url=fake.slack_base, timeout=0.5)

    with pytest.raises(TimeoutError):
        client.chat_postMessage(channel="C0INCIDENTS", text="hi")


def test_a_response_url_records_what_is_posted(fake):
    url = fake.slack.response_url("incident-7")

    answer = requests.post(url, json={"replace_original": True, "text": "Acknowledged"}, timeout=5)

    assert (answer.status_code, answer.text) == (200, "ok")
    assert fake.slack.responses == {
        "incident-7": [{"replace_original": True, "text": "Acknowledged"}]
    }


# The fake itself


def test_reset_forgets_everything(fake, twilio, slack):
    text(twilio)
    slack.chat_postMessage(channel="C0INCIDENTS", text="hi")
    fake.slack.response_url("k")
    fake.twilio.script("500")
    fake.slack.script("500")

    fake.reset()

    assert fake.twilio.messages == fake.slack.calls == fake.requests == []
    assert fake.slack.responses == {}
    assert text(twilio).status == "queued"
    assert slack.chat_postMessage(channel="C0INCIDENTS", text="hi")["ok"]


def test_the_server_stops_on_exit():
    with FakeProviders() as fake:
        url = fake.url
        assert requests.get(f"{url}/nowhere", timeout=5).status_code == 404

    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/nowhere", timeout=5)


# Signatures


def test_twilio_signature_is_the_one_twilio_sends():
    url = "https://plantao.example/twilio/status?page=7"
    params = {"MessageSid": "SM" + "1" * 32, "MessageStatus": "delivered", "To": ALICE}

    signature = twilio_signature(url, params, TOKEN)

    assert RequestValidator(TOKEN).validate(url, params, signature)
    assert not RequestValidator(TOKEN).validate(url, params | {"To": BOB}, signature)
    assert not RequestValidator("another-token").validate(url, params, signature)


@pytest.mark.parametrize("body", ["payload=%7B%22type%22%3A%22block_actions%22%7D", b"x=\xc3\xa3"])
def test_slack_headers_carry_slacks_signature(body):
    headers = slack_headers(body, "signing-secret", timestamp=1_700_000_000)
    signature = headers["HTTP_X_SLACK_SIGNATURE"]
    timestamp = headers["HTTP_X_SLACK_REQUEST_TIMESTAMP"]

    assert timestamp == "1700000000"
    assert signature.startswith("v0=")
    assert not SignatureVerifier("signing-secret").is_valid(body, timestamp, signature)  # stale
    verifier = SignatureVerifier("signing-secret", clock=_At(1_700_000_000))
    assert verifier.is_valid(body, timestamp, signature)
    assert not SignatureVerifier("other-secret", clock=_At(1_700_000_000)).is_valid(
        body, timestamp, signature
    )


def test_slack_headers_default_to_now():
    body = json.dumps({"type": "url_verification"})
    headers = slack_headers(body, "signing-secret")

    assert SignatureVerifier("signing-secret").is_valid(
        body, headers["HTTP_X_SLACK_REQUEST_TIMESTAMP"], headers["HTTP_X_SLACK_SIGNATURE"]
    )


class _At:
    """A clock for slack_sdk's SignatureVerifier that always reads `at`."""

    def __init__(self, at):
        self.at = at

    def now(self):
        return self.at
