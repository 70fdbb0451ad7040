"""The Slack channel through the real `slack_sdk` client against a local fake of Slack's Web API:
what a page looks like there, what each answer Slack can give becomes, and signatures."""

from datetime import UTC, datetime

import pytest

from oncall.channels import channel_for
from oncall.channels.base import ChannelError, LookupUnsupported, Message, OutcomeUnknown
from oncall.channels.console import ConsoleChannel
from oncall.channels.slack import SlackChannel, signature_valid, timestamp_fresh
from tests.fakes.providers import FakeProviders, slack_headers

TOKEN, SECRET = "xoxb-plantao", "slack-signing-secret"
NOW = datetime(2027, 1, 13, 10, 0, tzinfo=UTC)


@pytest.fixture
def fake():
    with FakeProviders(slack_token=TOKEN) as fake:
        yield fake


def channel(fake, timeout=5.0) -> SlackChannel:
    return SlackChannel(token=TOKEN, api_base=fake.slack_base, timeout=timeout)


def page(subject="[Plantao #7] CRITICAL Disk full on db-1") -> Message:
    return Message(
        "page-70", "slack", "U0ANA", subject, "[Plantao #7] CRITICAL Disk full - reply 4"
    )


def posts(fake) -> list[dict]:
    return [call for call in fake.slack.calls if call["method"] == "chat.postMessage"]


def test_a_page_is_a_direct_message_with_buttons_carrying_the_incident_number(fake):
    result = channel(fake).send(page())

    opened, posted = fake.slack.calls
    assert (opened["method"], opened["users"]) == ("conversations.open", "U0ANA")
    assert posted["channel"] == "D0ANA" and posted["text"] == page().subject
    (actions,) = [block for block in posted["blocks"] if block["type"] == "actions"]
    assert [(b["text"]["text"], b["value"]) for b in actions["elements"]] == [
        ("Acknowledge", "7"),
        ("Resolve", "7"),
        ("Escalate", "7"),
    ]
    assert result.status == "sent" and result.provider_id.startswith("D0ANA/")


def test_a_message_naming_no_incident_has_no_buttons(fake):
    channel(fake).send(page(subject="Plantao: test message"))
    (posted,) = posts(fake)
    assert [block["type"] for block in posted["blocks"]] == ["section"]


@pytest.mark.parametrize(
    ("outcomes", "raised", "retryable", "reason"),
    [
        (["429"], ChannelError, True, "rate limiting"),
        (["ok", "429"], ChannelError, True, "rate limiting"),
        (["ok", ("error", "ratelimited")], ChannelError, True, "ratelimited"),
        (["ok", ("error", "channel_not_found")], ChannelError, False, "channel_not_found"),
        ([("error", "user_not_found")], ChannelError, False, "user_not_found"),
        (["500"], ChannelError, True, "500"),  # opening the conversation sends nothing
        (["ok", "500"], OutcomeUnknown, None, "500"),
        (["ok", ("error", "fatal_error")], OutcomeUnknown, None, "fatal_error"),
    ],
)
def test_what_slack_answers_decides_retry_fail_or_unknown(
    fake, outcomes, raised, retryable, reason
):
    fake.slack.script(*outcomes)
    with pytest.raises(raised) as caught:
        channel(fake).send(page())
    assert reason in str(caught.value)
    if raised is ChannelError:
        assert caught.value.retryable is retryable
    # The SDK's own retries are off: each call went once.
    assert len(fake.slack.calls) == len(outcomes)


def test_a_post_slack_does_not_answer_in_time_is_an_unknown_outcome(fake):
    fake.slack.script("ok", ("hang", 2))
    with pytest.raises(OutcomeUnknown):
        channel(fake, timeout=0.5).send(page())
    assert len(posts(fake)) == 1


def test_slack_unreachable_is_a_page_not_sent_yet():
    with FakeProviders() as gone:
        base = gone.slack_base
    with pytest.raises(ChannelError) as caught:
        SlackChannel(token=TOKEN, api_base=base, timeout=2).send(page())
    assert caught.value.retryable


def test_slack_cannot_be_asked_whether_a_post_arrived(fake):
    with pytest.raises(LookupUnsupported):
        channel(fake).lookup("page-70", message=page(), since=NOW)


def test_posts_are_updated_in_place_and_an_update_is_always_safe_to_try_again(fake):
    slack = channel(fake)
    where, ts = slack.post(channel="C0AUTH", text="#7 Disk full", blocks=[])
    slack.update(channel=where, ts=ts, text="#7 Disk full (Acknowledged)", blocks=[])
    updated = fake.slack.calls[-1]
    assert (updated["method"], updated["channel"], updated["ts"]) == ("chat.update", "C0AUTH", ts)
    fake.slack.script("500")
    with pytest.raises(ChannelError) as caught:
        slack.update(channel=where, ts=ts, text="x", blocks=[])
    assert caught.value.retryable


def test_an_answer_goes_to_the_response_url(fake):
    channel(fake).respond(fake.slack.response_url("press-1"), {"text": "Acknowledged #7"})
    assert fake.slack.responses == {"press-1": [{"text": "Acknowledged #7"}]}
    with pytest.raises(ChannelError) as caught:
        channel(fake).respond(f"{fake.url}/nowhere", {"text": "lost"})
    assert not caught.value.retryable


# Signatures


def test_slacks_signature_is_checked_on_the_raw_body():
    body = b"command=%2Foncall&text=&user_id=U0ANA"
    headers = slack_headers(body, SECRET, timestamp=int(NOW.timestamp()))
    timestamp = headers["HTTP_X_SLACK_REQUEST_TIMESTAMP"]
    signature = headers["HTTP_X_SLACK_SIGNATURE"]

    def valid(body=body, timestamp=timestamp, signature=signature, secret=SECRET):
        return signature_valid(body=body, timestamp=timestamp, signature=signature, secret=secret)

    assert valid()
    assert not valid(body=body + b"&text=ack+42")
    assert not valid(secret="another-secret")
    assert not valid(secret="")
    assert not valid(signature="")
    assert not valid(timestamp=str(int(timestamp) + 1))
    assert not valid(timestamp="soon")


@pytest.mark.parametrize(("age", "fresh"), [(0, True), (300, True), (301, False), (-301, False)])
def test_a_request_older_than_five_minutes_is_stale(age, fresh):
    assert timestamp_fresh(timestamp=str(int(NOW.timestamp()) - age), now=NOW) is fresh
    assert not timestamp_fresh(timestamp="", now=NOW)


# The registry


def test_auto_sends_slack_pages_through_slack_once_a_bot_token_is_set(settings, fake):
    settings.PLANTAO_CHANNEL = "auto"
    settings.SLACK_BOT_TOKEN = ""
    assert isinstance(channel_for("slack"), ConsoleChannel)
    settings.SLACK_BOT_TOKEN = TOKEN
    settings.SLACK_API_BASE = fake.slack_base
    assert isinstance(channel_for("slack"), SlackChannel)
    channel_for("slack").send(page())
    assert [call["method"] for call in fake.slack.calls] == [
        "conversations.open",
        "chat.postMessage",
    ]
