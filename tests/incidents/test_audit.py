"""The audit log of the upper layer: every incident action is recorded once, from every source
(an SMS reply, a call, Slack, an e-mail link, the web, the API), with its actor and what changed;
an integration's rotation without its token; ingest and heartbeats record nothing."""

from datetime import timedelta

import pytest

from incidents.models import Integration, Service
from incidents.models.choices import Action
from incidents.services.integrations import heartbeat_ping, integration_rotate
from oncall.models import AuditEntry, Membership, Person

from .conftest import T0
from .test_acts import SOURCES, acknowledge_by, act, contact, person
from .test_engine import fire

pytestmark = pytest.mark.django_db

MINUTE = timedelta(minutes=1)


def last_id() -> int:
    return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


def recorded_after(mark: int) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(id__gt=mark).order_by("id"))


@pytest.fixture
def wired(client, twilio, slack, demo, frozen_now):
    frozen_now(T0)
    return client, slack, fire(service="auth", key="audited")


@pytest.mark.parametrize("source", SOURCES)
def test_an_acknowledgement_is_recorded_with_its_source_and_actor_from_every_source(wired, source):
    client, slack, incident = wired
    responder = person(Membership.Role.RESPONDER)
    mark = last_id()
    acknowledge_by(source, client, slack, incident, responder)

    (entry,) = [e for e in recorded_after(mark) if e.object_type == "incident"]
    assert (entry.action, entry.object_id, entry.source) == (
        "acknowledge",
        str(incident.number),
        source,
    )
    assert (entry.actor, entry.actor_name, entry.actor_user_id) == (
        responder.user.username,
        responder.display_name,
        responder.user.pk,
    )
    assert entry.token_name == ("respond token" if source == "api" else "")
    assert entry.team_id == Service.objects.get(name="auth").team_id
    assert entry.object_repr == f"#{incident.number} {incident.title}"
    assert entry.changes == {"status": ["triggered", "acknowledged"]}


def test_an_sms_reply_from_someone_of_another_team_records_nothing(wired):
    client, slack, incident = wired
    outsider = person("responder", "Data")
    mark = last_id()
    acknowledge_by("sms", client, slack, incident, outsider)
    assert [e.object_type for e in recorded_after(mark)] == ["contact_method"]  # its number


def test_an_act_that_finds_nothing_to_do_records_nothing(demo, frozen_now):
    frozen_now(T0)
    incident = fire(service="auth", key="twice")
    responder = person("responder")
    mark = last_id()
    assert act(incident, Action.ACKNOWLEDGE, responder).changed
    assert not act(incident, Action.ACKNOWLEDGE, responder, now=T0 + MINUTE).changed
    assert [e.action for e in recorded_after(mark)] == ["acknowledge"]


def test_each_action_records_what_it_changed(demo, frozen_now):
    frozen_now(T0)
    incident = fire(service="auth", key="changes")
    admin = Person.objects.get(user__username="helena")
    other = Person.objects.get(user__username="tiago")
    helper = person("responder", "Databases")
    contact(helper, "sms", "+15550400001")
    mark = last_id()
    act(incident, Action.REASSIGN, admin, person=other)
    act(incident, Action.ADD_RESPONDER, admin, person=helper)
    act(incident, Action.NOTE, helper, text="Rolled back the deploy.")
    act(incident, Action.ACKNOWLEDGE, other)
    act(incident, Action.SNOOZE, other, minutes=30, now=T0 + MINUTE)
    act(incident, Action.RESOLVE, other, now=T0 + 2 * MINUTE)

    entries = recorded_after(mark)
    assert [(e.action, e.actor) for e in entries] == [
        ("reassign", "helena"),
        ("add_responder", "helena"),
        ("note", helper.user.username),
        ("acknowledge", "tiago"),
        ("snooze", "tiago"),
        ("resolve", "tiago"),
    ]
    reassigned, added, noted, _, snoozed, resolved = (e.changes for e in entries)
    assert reassigned["assignee"][1] == other.pk
    assert added == {"responder": helper.pk}
    assert noted == {"note": "Rolled back the deploy."}
    assert snoozed == {"minutes": 30, "until": "2027-01-13T10:31:00+00:00"}
    assert resolved == {"status": ["acknowledged", "resolved"]}
    assert {e.source for e in entries} == {"api"}


def test_a_rotation_is_recorded_by_its_hint_and_grace_never_its_token(demo):
    integration = Integration.objects.create(
        service=Service.objects.get(name="auth"),
        kind="webhook",
        token_digest="a" * 64,
        token_hint="aaaaaa",
    )
    old_digest = integration.token_digest
    mark = last_id()
    token = integration_rotate(integration=integration, now=T0, grace=timedelta(hours=24))

    (entry,) = recorded_after(mark)
    assert (entry.action, entry.object_type, entry.team_id) == (
        "rotate_token",
        "integration",
        integration.service.team_id,
    )
    assert entry.changes == {
        "token_hint": ["aaaaaa", token[:6]],
        "previous_valid_until": [None, "2027-01-14T10:00:00+00:00"],
    }
    text = str(list(AuditEntry.objects.values()))
    assert token not in text and old_digest not in text and "digest" not in text


def test_alerts_and_heartbeats_record_nothing(demo, frozen_now):
    frozen_now(T0)
    heartbeat = Integration.objects.create(
        service=Service.objects.get(name="auth"),
        kind="heartbeat",
        token_digest="b" * 64,
        token_hint="bbbbbb",
        heartbeat_interval_seconds=300,
    )
    mark = last_id()
    fire(service="auth", key="noise")
    fire(service="auth", key="noise", at=T0 + MINUTE)
    heartbeat_ping(integration=heartbeat, now=T0 + MINUTE)
    assert recorded_after(mark) == []
