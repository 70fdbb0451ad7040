"""The issue's own case: a real escalation through the production task path, acknowledged by a
signed SMS reply, then resolved; its postmortem's timeline matches the incident's record entry
by entry, and reads right in Lisbon across the night the clocks go back.

Everything runs as in production: the alert arrives over HTTP, the Celery tasks run as a worker
runs them (eagerly, on commit, rung by the doorbell; the scheduler's sweep queued by name as beat
queues it), pages go out through the real Twilio client to the fake Twilio, and Twilio's replies
and receipts come back signed.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache

from incidents.demo import demo_load
from incidents.models import (
    EscalationPolicy,
    EscalationStep,
    EscalationTarget,
    Incident,
    Service,
    TimelineEntry,
)
from incidents.postmortem_selectors import postmortem_detail
from incidents.postmortem_times import duration, local_and_utc
from incidents.services import doorbell
from incidents.services.postmortems import postmortem_start
from oncall.config.celery import app

from .conftest import make_integration
from .postmortems import person
from .providers import signed_post

# Lisbon's clocks go back at 02:00 WEST (01:00 UTC) on 2026-10-25: the incident starts at
# 01:50 WEST and is resolved at 01:10 WET, "before" it began on the wall clock.
START = datetime(2026, 10, 25, 0, 50, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
SWEEP = "incidents.tasks.engine_sweep"


@pytest.fixture
def worker(monkeypatch, frozen_now):
    """Run every task the code queues at once, in this process, as a worker would run it."""
    app.loader.import_default_modules()
    eager = {"task_always_eager": True, "task_eager_propagates": True}
    saved = {name: app.conf.get(name) for name in eager}
    app.conf.update(eager)
    monkeypatch.setattr(doorbell, "BELL_SECONDS", 1e-9)
    monkeypatch.setattr(doorbell, "_rung_slice", -1)
    cache.clear()
    frozen_now(START)
    yield frozen_now
    app.conf.update(saved)


def at(worker, when: datetime) -> None:
    """Move the clock to `when` and let the scheduler's sweep run, as beat would."""
    worker(when)
    doorbell.publish(SWEEP, [])


def two_step_policy(first, second) -> EscalationPolicy:
    team = first.teams.get()
    policy = EscalationPolicy.objects.create(team=team, name="Edge: two people")
    for position, who in enumerate((first, second)):
        step = EscalationStep.objects.create(
            policy=policy, position=position, escalate_after_minutes=5
        )
        EscalationTarget.objects.create(step=step, kind="person", person=who)
    return policy


def phone(someone) -> str:
    return someone.contact_methods.get(kind="sms").address


@pytest.mark.django_db(transaction=True)
def test_a_real_escalation_is_drafted_entry_by_entry_and_reads_right_across_dst(
    client, twilio, worker
):
    demo_load()
    joao, rita = person("joao"), person("rita")  # both of Lisbon
    edge = Service.objects.get(name="edge")
    edge.escalation_policy = two_step_policy(joao, rita)
    edge.save()
    make_integration(edge)

    # 00:50 UTC: monitoring fires; step 1 texts João, who sleeps through it.
    answer = client.post(
        f"/integrations/webhook/webhook-{edge.pk}-token/",
        {
            "title": "Edge 5xx above 5%",
            "status": "firing",
            "dedup_key": "5xx",
            "severity": "critical",
        },
        content_type="application/json",
    )
    assert answer.status_code == 202, answer.content
    incident = Incident.objects.get(pk=answer.json()["alerts"][0]["incident"])
    at(worker, START)
    (to_joao,) = twilio.twilio.messages
    assert to_joao["To"] == phone(joao)
    sms_page = incident.pages.get(person=joao, kind="sms")
    receipt = {"MessageSid": sms_page.provider_id, "MessageStatus": "delivered"}
    at(worker, START + MINUTE)
    assert signed_post(client, f"/twilio/status/?page={sms_page.pk}", receipt).status_code == 204

    # 00:55: nobody acknowledged; the sweep escalates to step 2, which texts Rita.
    at(worker, START + 3 * MINUTE)  # João's voice rule calls him; nobody answers either
    at(worker, START + 5 * MINUTE)
    assert [m["To"] for m in twilio.twilio.messages] == [phone(joao), phone(rita)]

    # 00:57: Rita replies "4" (signed by Twilio); 01:10 WET, after the change, she resolves.
    at(worker, START + 7 * MINUTE)
    reply = signed_post(client, "/twilio/sms/", {"From": phone(rita), "Body": "4"})
    assert f"Acknowledged #{incident.number}" in reply.content.decode()
    at(worker, START + 20 * MINUTE)
    reply = signed_post(client, "/twilio/sms/", {"From": phone(rita), "Body": "6"})
    assert f"Resolved #{incident.number}" in reply.content.decode()
    at(worker, START + 40 * MINUTE)

    incident.refresh_from_db()
    record = list(incident.timeline.select_related("actor").order_by("at", "id"))
    kinds = [entry.kind for entry in record]
    assert {"triggered", "page_sent", "escalated", "acknowledged", "resolved"} <= set(kinds)
    assert kinds.index("escalated") < kinds.index("acknowledged") < kinds.index("resolved")
    acknowledged = next(e for e in record if e.kind == "acknowledged")
    assert (acknowledged.actor, acknowledged.source) == (rita, "sms")

    postmortem = postmortem_start(incidents=[incident], by=rita, now=START + 50 * MINUTE)
    postmortem = postmortem_detail(postmortem_id=postmortem.pk, user=rita.user)
    drafted = {entry.origin: entry for entry in postmortem.entries.all()}

    # Every entry of the incident's record, one by one: same instant, kind, actor and source.
    for entry in record:
        copy = drafted.pop(f"timeline:{entry.pk}")
        assert (copy.at, copy.kind, copy.source) == (entry.at, entry.kind, entry.source)
        assert copy.actor_name == (entry.actor.display_name if entry.actor else "")
        assert copy.incident_id == incident.pk and not copy.edited and not copy.hidden
    # The alert, and the delivery receipt the timeline does not hold; nothing else.
    (alert,) = incident.alerts.all()
    alert_entry = drafted.pop(f"alert:{alert.pk}")
    assert (alert_entry.at, alert_entry.kind) == (alert.received_at, "alert")
    assert "Edge 5xx above 5%" in alert_entry.text
    delivered = drafted.pop(f"page:{sms_page.pk}")
    assert (delivered.kind, delivered.at) == ("page_delivered", START + MINUTE)
    assert phone(joao) not in delivered.text and phone(joao)[-4:] in delivered.text
    assert drafted == {}
    # Each page that went out is in the drafted timeline, through its own record entry.
    sent_pages = {e.data["page"] for e in record if e.kind == "page_sent"}
    assert set(
        incident.pages.filter(state__in=["sent", "delivered"]).values_list("pk", flat=True)
    ) == (sent_pages)
    assert {p.person for p in incident.pages.filter(pk__in=sent_pages)} == {joao, rita}

    # The figures, and how a reader in Lisbon sees the night the clocks went back.
    assert (postmortem.began_at, postmortem.acknowledged_at, postmortem.resolved_at) == (
        START,
        START + 7 * MINUTE,
        START + 20 * MINUTE,
    )
    assert duration(postmortem.time_to_acknowledge) == "7 min"
    assert duration(postmortem.time_to_resolve) == "20 min"
    shown = {
        entry.kind: local_and_utc(entry.at, rita.time_zone)
        for entry in postmortem.entries.all()
        if entry.kind in ("triggered", "escalated", "acknowledged", "resolved")
    }
    assert rita.time_zone == "Europe/Lisbon"
    assert shown == {
        "triggered": ("2026-10-25 01:50:00 WEST (+01:00)", "2026-10-25 00:50:00 UTC"),
        "escalated": ("2026-10-25 01:55:00 WEST (+01:00)", "2026-10-25 00:55:00 UTC"),
        "acknowledged": ("2026-10-25 01:57:00 WEST (+01:00)", "2026-10-25 00:57:00 UTC"),
        "resolved": ("2026-10-25 01:10:00 WET (+00:00)", "2026-10-25 01:10:00 UTC"),
    }
    assert TimelineEntry.objects.filter(incident=incident).count() == len(record)
    for e in postmortem.entries.all():
        print(
            "DUMP",
            local_and_utc(e.at, "Europe/Lisbon")[0],
            e.kind,
            e.source,
            e.actor_name,
            "|",
            e.text,
        )
