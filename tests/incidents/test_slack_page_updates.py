"""A page sent by Slack direct message follows its incident: acknowledged or resolved from
anywhere (an SMS reply, the web), the message says so and by whom, and loses the buttons that no
longer apply. Through the real `slack_sdk` and `twilio` clients against the local fakes."""

from datetime import timedelta

import pytest

from incidents.models import Service
from incidents.services.incidents import incident_acknowledge, incident_resolve
from incidents.services.slack_channel import UPDATE, slack_incident_post, slack_incident_update
from incidents.slack import tasks
from oncall.channels.base import ChannelError

from .conftest import T0
from .providers import alertmanager, signed_post
from .test_engine import on_call, phone
from .test_slack import PRIMARY, buttons, link, posted, shown, updates

MINUTE = timedelta(minutes=1)


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run what a request or service queues on commit (each test runs in one transaction)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def run_updates(rings) -> None:
    """Do what a worker does with the update tasks rung so far."""
    for task, pk in [ring for ring in rings if ring[0] == UPDATE]:
        rings.remove((task, pk))
        tasks.slack_incident_update(pk)


def paged_by_slack(client, workers):
    """Page Primary's on-call person for an `auth` alert, by Slack direct message (and by SMS,
    through the fake Twilio when it is there)."""
    workers.frozen_now(T0)
    primary = on_call("Primary")
    link(primary, PRIMARY)
    incident = alertmanager(client)
    workers.run(T0)
    page = incident.pages.get(kind="slack", state="sent")
    channel, ts = page.provider_id.split("/")
    assert channel == "D0PRIMARY"
    return incident, primary, ts


def dm_updates(fake, ts: str) -> list[dict]:
    return [call for call in updates(fake) if (call["channel"], call["ts"]) == ("D0PRIMARY", ts)]


@pytest.mark.django_db
def test_an_sms_acknowledgement_then_a_web_resolve_show_on_the_slack_page(
    client, twilio, slack, demo, workers, rings, on_commit
):
    incident, primary, ts = paged_by_slack(client, workers)
    number = str(incident.number)
    (dm,) = posted(slack, "D0PRIMARY")
    assert buttons(dm) == [("Acknowledge", number), ("Resolve", number), ("Escalate", number)]

    workers.frozen_now(T0 + MINUTE)
    with on_commit():
        answer = signed_post(client, "/twilio/sms/", {"From": phone(primary), "Body": "4"})
    assert f"Acknowledged #{number}" in answer.content.decode()
    assert updates(slack) == []  # not in the reply's request: in the task it rang
    run_updates(rings)
    (acknowledged,) = dm_updates(slack, ts)
    assert f"Acknowledged by {primary.display_name}" in shown(acknowledged)
    assert buttons(acknowledged) == [("Resolve", number)]
    assert acknowledged["text"].startswith(f"[Plantao #{number}] CRITICAL ")

    with on_commit():
        incident_resolve(incident=incident, now=T0 + 2 * MINUTE, by=primary, source="web")
    run_updates(rings)
    _, resolved = dm_updates(slack, ts)
    assert f"Resolved by {primary.display_name}" in shown(resolved)
    assert buttons(resolved) == []
    assert len(posted(slack, "D0PRIMARY")) == 1  # updated in place, never posted again


@pytest.mark.django_db
def test_the_channel_post_and_the_page_are_both_updated_and_one_refused_spares_the_other(
    client, slack, demo, workers
):
    Service.objects.filter(name="auth").update(slack_channel="C0AUTH")
    incident, primary, ts = paged_by_slack(client, workers)
    assert slack_incident_post(incident_id=incident.pk)
    incident_acknowledge(incident=incident, now=T0 + MINUTE, by=primary, source="web")
    slack.slack.script(("error", "message_not_found"))  # the channel's post was deleted
    assert slack_incident_update(incident_id=incident.pk)
    post, page = updates(slack)
    assert post["channel"] == "C0AUTH"
    assert (page["channel"], page["ts"]) == ("D0PRIMARY", ts)
    assert buttons(page) == [("Resolve", str(incident.number))]


@pytest.mark.django_db
def test_slack_saying_later_makes_the_task_try_again_and_a_second_update_is_harmless(
    client, slack, demo, workers
):
    incident, primary, ts = paged_by_slack(client, workers)
    incident_acknowledge(incident=incident, now=T0 + MINUTE, by=primary, source="web")
    slack.slack.script("429")
    with pytest.raises(ChannelError) as later:
        slack_incident_update(incident_id=incident.pk)
    assert later.value.retryable
    assert slack_incident_update(incident_id=incident.pk)
    assert slack_incident_update(incident_id=incident.pk)
    refused, first, second = dm_updates(slack, ts)
    assert first["blocks"] == second["blocks"] and buttons(first) == [
        ("Resolve", str(incident.number))
    ]


@pytest.mark.django_db
def test_an_incident_with_no_slack_page_nor_post_has_nothing_to_update(
    client, slack, demo, workers
):
    workers.frozen_now(T0)
    incident = alertmanager(client)
    workers.run(T0)
    assert not incident.pages.filter(kind="slack").exists()
    incident_acknowledge(incident=incident, now=T0 + MINUTE, source="web")
    assert not slack_incident_update(incident_id=incident.pk)
    assert updates(slack) == []
