"""Slack end to end: pages by direct message through the real `slack_sdk` client against a local
fake of Slack's Web API, the service's channel post, and the signed requests Slack sends back
(button presses and slash commands).

The hooks that ring the channel post (the engine's first step) and its update (acknowledge,
resolve) are called by hand here, as the engine and the incident services will call them.
"""

import json
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.conf import settings

from incidents.models import Incident, Service
from incidents.services import slack as slack_services
from incidents.services.incidents import incident_acknowledge, incident_resolve
from incidents.services.slack_channel import (
    POST,
    UPDATE,
    slack_incident_changed,
    slack_incident_post,
    slack_incident_update,
    slack_incidents_announce,
)
from incidents.slack import tasks
from oncall import clock
from oncall.channels import slack as transport
from oncall.channels import slack_blocks
from oncall.models import ContactMethod, Membership, NotificationRule, Person
from tests.conftest import SLACK_SECRET, SLACK_TOKEN
from tests.fakes.providers import slack_headers

from .conftest import T0
from .providers import alertmanager
from .test_engine import fire, on_call

TOKEN, SECRET = SLACK_TOKEN, SLACK_SECRET
PRIMARY, STRANGER = "U0PRIMARY", "U0STRANGER"
MINUTE = timedelta(minutes=1)


@pytest.fixture
def queued(monkeypatch, rings):
    """Catch the answers queued for the workers (the doorbell's rings are in `rings`)."""
    answers = []
    monkeypatch.setattr(slack_services, "_publish", lambda task, args: answers.append((task, args)))
    return answers


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run what requests queue on commit (each test runs inside one transaction)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def link(person: Person, user_id: str, *, verified=True, rule=True) -> ContactMethod:
    """Give `person` a Slack contact method (and a rule paging it at once)."""
    method = ContactMethod.objects.create(
        person=person, kind="slack", address=user_id, verified_at=T0 if verified else None
    )
    if rule:
        NotificationRule.objects.create(
            person=person, contact_method=method, delay_minutes=0, urgency="high"
        )
    return method


def signed(client, path, fields, *, at=None, secret=SECRET, headers=None):
    body = urlencode(fields)
    at = clock.now() if at is None else at
    headers = slack_headers(body, secret, int(at.timestamp())) if headers is None else headers
    return client.post(path, body, content_type="application/x-www-form-urlencoded", **headers)


def command(client, text, *, user=PRIMARY, name="/incident", **options):
    fields = {
        "token": "deprecated-verification-token",
        "team_id": "T0PLANTAO",
        "channel_id": "C0OPS",
        "user_id": user,
        "user_name": "someone",
        "command": name,
        "text": text,
        "response_url": "https://hooks.slack.com/commands/T0PLANTAO/1/x",
        "trigger_id": "1.2.3",
    }
    return signed(client, "/slack/commands/", fields, **options)


def press(client, fake, number, *, action=slack_blocks.ACKNOWLEDGE, user=PRIMARY, key="press"):
    """Press a button as Slack reports it: a block_actions payload in the `payload` field."""
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": "someone", "team_id": "T0PLANTAO"},
        "team": {"id": "T0PLANTAO", "domain": "plantao"},
        "container": {"type": "message", "message_ts": "1799834400.000001"},
        "channel": {"id": "D0PRIMARY", "name": "directmessage"},
        "response_url": fake.slack.response_url(key),
        "trigger_id": "1.2.3",
        "actions": [
            {
                "type": "button",
                "action_id": action,
                "block_id": "b1",
                "text": {"type": "plain_text", "text": "Acknowledge"},
                "value": str(number),
                "action_ts": "1799834460.000100",
            }
        ],
    }
    return signed(client, "/slack/interactions/", {"payload": json.dumps(payload)})


def run(queued):
    """Do what the workers would with the answers queued so far."""
    while queued:
        task, args = queued.pop(0)
        assert task == "incidents.slack.tasks.slack_respond"
        tasks.slack_respond(*args)


def posted(fake, channel: str) -> list[dict]:
    return [
        call
        for call in fake.slack.calls
        if call["method"] == "chat.postMessage" and call["channel"] == channel
    ]


def updates(fake) -> list[dict]:
    return [call for call in fake.slack.calls if call["method"] == "chat.update"]


def buttons(call: dict) -> list[tuple[str, str]]:
    return [
        (element["text"]["text"], element["value"])
        for block in call["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def shown(call: dict) -> str:
    return json.dumps(call["blocks"], ensure_ascii=False)


def paged_by_slack(client, slack, workers, *, channel="C0AUTH") -> tuple[Incident, Person]:
    """An Alertmanager alert for `auth`, whose Primary on-call person has Slack: paged there, and
    the incident posted in the service's channel."""
    workers.frozen_now(T0)
    primary = on_call("Primary")
    link(primary, PRIMARY)
    Service.objects.filter(name="auth").update(slack_channel=channel)
    incident = alertmanager(client)
    workers.run(T0)
    assert slack_incident_post(incident_id=incident.pk)  # what the engine's hook rings
    return incident, primary


# End to end


@pytest.mark.django_db
def test_an_alert_pages_by_slack_and_a_signed_button_press_acknowledges(
    client, slack, demo, workers, queued, on_commit
):
    incident, primary = paged_by_slack(client, slack, workers)
    (dm,) = posted(slack, "D0PRIMARY")
    number = str(incident.number)
    assert dm["text"].startswith(f"[Plantao #{number}] CRITICAL ")
    assert buttons(dm) == [("Acknowledge", number), ("Resolve", number), ("Escalate", number)]
    assert incident.pages.get(kind="slack").state == "sent"
    (post,) = posted(slack, "C0AUTH")
    assert buttons(post) == buttons(dm) and "Triggered" in shown(post)
    # Both link to the incident's web page.
    web = f"<{settings.PUBLIC_URL}/incidents/{number}/|Open #{number} in Plantao>"
    assert web in shown(dm) and web in shown(post)

    workers.frozen_now(T0 + MINUTE)
    with on_commit():
        response = press(client, slack, incident.number)
    assert response.status_code == 200
    incident.refresh_from_db()
    assert incident.status == "acknowledged" and incident.acknowledged_by == primary
    assert incident.timeline.get(kind="acknowledged").source == "slack"
    run(queued)
    (answer,) = slack.slack.responses["press"]
    assert answer["response_type"] == "ephemeral"
    assert answer["text"].startswith(f"Acknowledged #{number} ")

    slack_incident_update(incident_id=incident.pk)  # what the acknowledgement's hook rings
    update, page_update = updates(slack)  # the channel's post, and the page in the DM
    incident.refresh_from_db()
    assert incident.slack_ts not in ("", "-")  # the post's own ts, as Slack gave it
    assert (update["channel"], update["ts"]) == ("C0AUTH", incident.slack_ts)
    assert f"Acknowledged by {primary.display_name}" in shown(update)
    assert buttons(update) == [("Resolve", number)]
    page_sent = incident.pages.get(kind="slack").provider_id
    assert f"{page_update['channel']}/{page_update['ts']}" == page_sent  # "D0PRIMARY/<ts>"
    assert buttons(page_update) == [("Resolve", number)]

    sent = len(posted(slack, "D0PRIMARY"))
    workers.run(T0 + timedelta(hours=1))
    assert len(posted(slack, "D0PRIMARY")) == sent  # nothing more to this person, nor anyone
    assert not incident.pages.filter(state="pending").exists()
    assert incident.pages.filter(kind="voice", state="cancelled").exists()  # the 3-minute call
    assert not incident.pages.filter(step__gt=0).exists()  # Secondary never paged


@pytest.mark.django_db
def test_slash_incident_ack_acknowledges_and_the_post_says_by_whom(
    client, slack, demo, workers, queued, on_commit
):
    incident, primary = paged_by_slack(client, slack, workers)
    workers.frozen_now(T0 + MINUTE)
    with on_commit():
        response = command(client, f"ack {incident.number}")
    assert response.status_code == 200
    assert response.json() == {
        "response_type": "ephemeral",
        "text": f"Acknowledged #{incident.number} *{incident.title}*.",
    }
    incident.refresh_from_db()
    assert incident.status == "acknowledged" and incident.acknowledged_by == primary

    slack_incident_update(incident_id=incident.pk)
    for update in updates(slack):  # the channel's post and the page in the DM
        assert f"Acknowledged by {primary.display_name}" in shown(update)
    workers.run(T0 + timedelta(hours=1))
    assert len(posted(slack, "D0PRIMARY")) == 1
    assert not incident.pages.filter(step__gt=0).exists()

    again = command(client, f"resolve {incident.number}")
    assert again.json()["text"].startswith(f"Resolved #{incident.number} ")
    incident.refresh_from_db()
    assert incident.status == "resolved" and incident.resolved_by == primary


@pytest.mark.django_db
def test_a_button_pressed_twice_acknowledges_once_and_says_so(
    client, slack, demo, workers, queued, on_commit
):
    incident, primary = paged_by_slack(client, slack, workers)
    with on_commit():
        press(client, slack, incident.number, key="first")
        press(client, slack, incident.number, key="second")
    run(queued)
    assert incident.timeline.filter(kind="acknowledged").count() == 1
    assert slack.slack.responses["first"][0]["text"].startswith("Acknowledged")
    assert slack.slack.responses["second"][0]["text"] == (
        f"#{incident.number} was already acknowledged by {primary.display_name}. "
        "Nothing was changed."
    )


@pytest.mark.django_db
def test_the_escalate_button_pages_the_next_step_now(
    client, slack, demo, workers, queued, on_commit
):
    incident, primary = paged_by_slack(client, slack, workers)
    workers.frozen_now(T0 + MINUTE)
    with on_commit():
        press(client, slack, incident.number, action=slack_blocks.ESCALATE)
    entry = incident.timeline.filter(kind="escalated", source="slack").get()
    assert entry.actor == primary
    workers.run(T0 + MINUTE)
    secondary = on_call("Secondary", T0 + MINUTE)
    assert incident.pages.filter(step=1, person=secondary).exists()  # not after 5 minutes: now
    run(queued)
    assert slack.slack.responses["press"][0]["text"].startswith(f"Escalated #{incident.number}")


@pytest.mark.django_db
def test_slash_oncall_says_who_is_on_call_now_and_next_to_anyone(client, slack, demo, frozen_now):
    frozen_now(T0)
    primary = on_call("Primary")
    answer = command(client, "", name="/oncall", user=STRANGER).json()
    assert answer["response_type"] == "ephemeral"
    lines = answer["text"].splitlines()
    assert lines[0].startswith(f"*Primary*: {primary.display_name} until <!date^")
    assert ", then " in lines[0]
    assert lines[1].startswith(f"*Secondary*: {on_call('Secondary').display_name} until ")

    only = command(client, "primary", name="/oncall", user=STRANGER).json()["text"]
    assert only.startswith("*Primary*: ") and "Secondary" not in only
    team = command(client, "Platform SRE", name="/oncall", user=STRANGER).json()["text"]
    assert len(team.splitlines()) == 2
    unknown = command(client, "Nights", name="/oncall", user=STRANGER).json()["text"]
    assert "No schedule or team" in unknown and "Primary, Secondary" in unknown


@pytest.mark.django_db
def test_slash_incident_list_shows_open_incidents_newest_first_to_anyone(
    client, slack, demo, frozen_now
):
    older = fire(service="edge", key="a", at=T0)
    newer = fire(service="cdn", key="b", at=T0 + MINUTE)
    done = fire(service="auth", key="c", at=T0)
    incident_resolve(incident=done, now=T0 + MINUTE)
    frozen_now(T0 + MINUTE)
    text = command(client, "list", user=STRANGER).json()["text"]
    assert text.splitlines() == [
        f"#{newer.number} *triggered* CRITICAL Disk full · cdn",
        f"#{older.number} *triggered* CRITICAL Disk full · edge",
    ]


@pytest.mark.django_db
def test_slash_incident_declare_opens_an_incident_that_pages_its_on_call(
    client, slack, demo, workers, on_commit
):
    workers.frozen_now(T0)
    primary = on_call("Primary")
    link(primary, PRIMARY)
    with on_commit():
        answer = command(client, "declare Checkout is down --service cdn").json()
    incident = Incident.objects.get(title="Checkout is down")
    assert answer == {
        "response_type": "in_channel",
        "text": f"Declared #{incident.number} *Checkout is down* on cdn: paging its on-call now.",
    }
    assert (incident.service.name, incident.severity, incident.status) == (
        "cdn",
        "critical",
        "triggered",
    )
    entry = incident.timeline.get(kind="triggered")
    assert (entry.source, entry.actor) == ("slack", primary)
    workers.run(T0)
    assert incident.pages.filter(person=primary, kind="slack", state="sent").exists()

    first = command(client, "declare Search is slow").json()["text"]
    assert " on auth: " in first and "--service" in first  # the first service of their team
    wrong = command(client, "declare Oops --service billing").json()["text"]
    assert wrong.startswith("You respond for no service named “billing”; yours: auth, catalog")
    assert Incident.objects.count() == 2


# Who may act


@pytest.mark.django_db
def test_an_unlinked_slack_user_is_told_how_to_link_and_nothing_changes(
    client, slack, demo, workers, queued, on_commit
):
    incident, primary = paged_by_slack(client, slack, workers)
    link(on_call("Secondary"), "U0UNVERIFIED", verified=False, rule=False)
    with on_commit():
        for user in (STRANGER, "U0UNVERIFIED"):
            assert press(client, slack, incident.number, user=user, key=user).status_code == 200
            text = command(client, f"ack {incident.number}", user=user).json()["text"]
            assert "not linked" in text and f"`{user}`" in text
        declared = command(client, "declare Anything", user=STRANGER).json()["text"]
    assert "not linked" in declared
    run(queued)
    for user in (STRANGER, "U0UNVERIFIED"):
        (answer,) = slack.slack.responses[user]
        assert "not linked" in answer["text"] and "Slack contact method" in answer["text"]
    incident.refresh_from_db()
    assert incident.status == "triggered"
    assert not incident.timeline.filter(source="slack").exists()
    assert Incident.objects.count() == 1


@pytest.mark.django_db
def test_a_viewer_cannot_act(client, slack, demo, workers, queued):
    incident, primary = paged_by_slack(client, slack, workers)
    Membership.objects.filter(person=primary).update(role="viewer")
    text = command(client, f"ack {incident.number}").json()["text"]
    assert text == (
        f"#{incident.number} does not exist, or you are not a responder or admin of its team. "
        "Nothing was changed."
    )
    assert command(client, "declare Anything").json()["text"].startswith("You are not a ")
    incident.refresh_from_db()
    assert incident.status == "triggered"
    assert Incident.objects.count() == 1


# Signatures


@pytest.mark.django_db
@pytest.mark.parametrize(
    "forgery",
    [
        {"headers": {}},
        {"secret": "not-the-signing-secret"},
        {"headers": {"HTTP_X_SLACK_SIGNATURE": "v0=" + "0" * 64}},
    ],
    ids=["unsigned", "wrong-secret", "forged"],
)
def test_unsigned_or_forged_slack_requests_are_refused_and_change_nothing(
    client, slack, demo, workers, queued, on_commit, forgery
):
    incident, _ = paged_by_slack(client, slack, workers)
    payload = json.dumps(
        {
            "type": "block_actions",
            "user": {"id": PRIMARY},
            "response_url": slack.slack.response_url("forged"),
            "actions": [{"action_id": slack_blocks.ACKNOWLEDGE, "value": str(incident.number)}],
        }
    )
    if "HTTP_X_SLACK_SIGNATURE" in forgery.get("headers", {}):
        forgery["headers"]["HTTP_X_SLACK_REQUEST_TIMESTAMP"] = str(int(T0.timestamp()))
    with on_commit():
        for path, fields in (
            ("/slack/interactions/", {"payload": payload}),
            (
                "/slack/commands/",
                {"command": "/incident", "text": f"ack {incident.number}", "user_id": PRIMARY},
            ),
        ):
            response = signed(client, path, fields, **forgery)
            assert response.status_code == 403
            assert response.json()["error"]["code"] == "bad_signature"
    incident.refresh_from_db()
    assert incident.status == "triggered" and not queued
    assert not incident.timeline.filter(kind="acknowledged").exists()


@pytest.mark.django_db
def test_a_body_changed_after_signing_is_refused(client, slack, demo, workers):
    incident, _ = paged_by_slack(client, slack, workers)
    signed_for = urlencode({"command": "/incident", "text": "list", "user_id": PRIMARY})
    body = urlencode({"command": "/incident", "text": f"ack {incident.number}", "user_id": PRIMARY})
    headers = slack_headers(signed_for, SECRET, int(T0.timestamp()))
    response = client.post(
        "/slack/commands/", body, content_type="application/x-www-form-urlencoded", **headers
    )
    assert response.status_code == 403
    incident.refresh_from_db()
    assert incident.status == "triggered"


@pytest.mark.django_db
def test_a_request_signed_more_than_300_seconds_ago_is_refused(client, slack, demo, workers):
    incident, _ = paged_by_slack(client, slack, workers)
    stale = command(client, f"ack {incident.number}", at=T0 - timedelta(seconds=301))
    assert stale.status_code == 403 and stale.json()["error"]["code"] == "stale_request"
    incident.refresh_from_db()
    assert incident.status == "triggered"
    fresh = command(client, f"ack {incident.number}", at=T0 - timedelta(seconds=300))
    assert fresh.status_code == 200
    incident.refresh_from_db()
    assert incident.status == "acknowledged"


@pytest.mark.django_db
def test_a_body_over_512_kib_is_refused_and_a_malformed_payload_is_a_400(
    client, slack, demo, frozen_now
):
    frozen_now(T0)
    large = command(client, "declare " + "x" * (512 * 1024))
    assert large.status_code == 413
    assert not Incident.objects.exists()
    malformed = signed(client, "/slack/interactions/", {"payload": "{not json"})
    assert malformed.status_code == 400
    assert malformed.json()["error"]["code"] == "invalid_payload"
    assert client.get("/slack/commands/").status_code == 405


# Sending


@pytest.mark.django_db
def test_a_slack_429_is_tried_again_shortly_and_then_goes_out_once(client, slack, demo, workers):
    slack.slack.script("ok", "429")  # the conversation opens; the post is turned away for now
    workers.frozen_now(T0)
    primary = on_call("Primary")
    link(primary, PRIMARY)
    incident = alertmanager(client)
    workers.run(T0 + 30 * timedelta(seconds=1))
    page = incident.pages.get(kind="slack")
    assert page.state == "sent" and page.attempts == 2
    assert len(posted(slack, "D0PRIMARY")) == 2  # the one turned away, and the one that went


@pytest.mark.django_db
def test_channel_not_found_fails_the_page_with_that_reason(client, slack, demo, workers):
    slack.slack.script("ok", ("error", "channel_not_found"))
    workers.frozen_now(T0)
    link(on_call("Primary"), PRIMARY)
    incident = alertmanager(client)
    workers.run(T0 + MINUTE)
    page = incident.pages.get(kind="slack")
    assert page.state == "failed" and "channel_not_found" in page.error
    failed = incident.timeline.get(kind="page_failed")
    assert "channel_not_found" in failed.message
    assert len(posted(slack, "D0PRIMARY")) == 1  # not tried again


# The service's channel


@pytest.mark.django_db
def test_the_hooks_ring_the_post_and_its_updates_after_commit_only_when_slack_is_set_up(
    slack, demo, rings, on_commit, settings
):
    incidents = [fire(service=name, key=name) for name in ("auth", "edge")]
    Service.objects.filter(name="auth").update(slack_channel="C0AUTH")
    for incident in incidents:
        incident.refresh_from_db()
    with on_commit():
        slack_incidents_announce(incidents=incidents, now=T0)
        slack_incident_changed(incident=incidents[1], now=T0)
    assert (POST, incidents[0].pk) in rings and (POST, incidents[1].pk) not in rings
    assert (UPDATE, incidents[1].pk) in rings

    rings.clear()
    settings.SLACK_BOT_TOKEN = ""
    with on_commit():
        slack_incidents_announce(incidents=incidents, now=T0)
        slack_incident_changed(incident=incidents[0], now=T0)
    assert not [ring for ring in rings if ring[0] in (POST, UPDATE)]


@pytest.mark.django_db
def test_an_incident_is_posted_once_and_its_post_follows_what_happens_from_anywhere(slack, demo):
    incident = fire(service="auth", key="k")
    Service.objects.filter(name="auth").update(slack_channel="C0AUTH")
    assert not slack_incident_update(incident_id=incident.pk)  # no post yet: nothing to update
    assert slack_incident_post(incident_id=incident.pk)
    assert not slack_incident_post(incident_id=incident.pk)  # a second ring posts nothing
    assert len(posted(slack, "C0AUTH")) == 1
    incident.refresh_from_db()
    assert incident.slack_channel == "C0AUTH" and incident.slack_ts not in ("", "-")

    incident_acknowledge(incident=incident, now=T0 + MINUTE, source="web")
    incident_resolve(incident=incident, now=T0 + 2 * MINUTE, source="monitoring")
    assert slack_incident_update(incident_id=incident.pk)
    (update,) = updates(slack)
    assert "Resolved by monitoring" in shown(update) and buttons(update) == []
    assert (update["channel"], update["ts"]) == ("C0AUTH", incident.slack_ts)


@pytest.mark.django_db
def test_a_post_slack_refuses_is_not_claimed_and_one_it_may_have_made_is_never_repeated(
    slack, demo
):
    incident = fire(service="auth", key="k")
    Service.objects.filter(name="auth").update(slack_channel="C0GONE")
    slack.slack.script(("error", "channel_not_found"))
    assert not slack_incident_post(incident_id=incident.pk)
    incident.refresh_from_db()
    assert incident.slack_ts == ""  # free to be posted once the channel is fixed

    slack.slack.script("500")
    assert not slack_incident_post(incident_id=incident.pk)
    assert not slack_incident_post(incident_id=incident.pk)
    assert len(posted(slack, "C0GONE")) == 2  # the refused one and the doubtful one, once


@pytest.mark.django_db
def test_an_acknowledgement_while_the_post_is_on_its_way_is_shown_at_once(slack, demo, monkeypatch):
    incident = fire(service="auth", key="k")
    Service.objects.filter(name="auth").update(slack_channel="C0AUTH")
    real_post = transport.SlackChannel.post

    def post_then_acknowledged(self, **content):
        answer = real_post(self, **content)
        incident_acknowledge(incident=incident, now=T0 + MINUTE, source="sms")
        return answer

    monkeypatch.setattr(transport.SlackChannel, "post", post_then_acknowledged)
    assert slack_incident_post(incident_id=incident.pk)
    (update,) = updates(slack)
    assert "Acknowledged" in shown(update) and buttons(update) == [("Resolve", str(incident.pk))]
