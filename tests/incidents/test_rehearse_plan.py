"""The send plan of each rehearsal shape, and the bodies it sends (incidents/rehearse)."""

import json
from pathlib import Path

import pytest

from incidents.ingest import alertmanager, webhook
from incidents.rehearse import payloads, shapes

ROOT = Path(__file__).resolve().parents[2]
CAPTURED = ROOT.parent / "shared" / "fixtures" / "alertmanager-0.25"


def test_steady_sends_one_alert_a_request_evenly_at_the_rate():
    plan = shapes.plan(shape="steady", alerts=500, rate=100, prefix="r7")
    assert len(plan) == 500
    assert [send.at for send in plan[:3]] == [0.0, 0.01, 0.02]
    assert plan[-1].at == pytest.approx(4.99)
    assert len({send.keys for send in plan}) == 500  # each alert its own incident
    assert all(send.keys[0].startswith("r7-") for send in plan)


def test_ramp_rises_from_a_tenth_of_the_rate_to_all_of_it():
    plan = shapes.plan(shape="ramp", alerts=5500, rate=100, prefix="r")
    offsets = [send.at for send in plan]
    assert offsets == sorted(offsets)
    # Mean rate 55/s: 5,500 alerts take 100 s.
    assert offsets[-1] == pytest.approx(100, abs=0.1)
    first_second = sum(1 for at in offsets if at < 1)
    last_second = sum(1 for at in offsets if at >= offsets[-1] - 1)
    assert 9 <= first_second <= 12
    assert 98 <= last_second <= 101
    assert shapes.mean_rate("ramp", 100) == pytest.approx(55)


def test_a_storm_is_ninety_five_percent_duplicates_spread_over_the_run():
    plan = shapes.plan(shape="storm", alerts=1000, rate=100, prefix="s")
    keys = [send.keys[0] for send in plan]
    assert len(set(keys)) == 50 == shapes.incidents_expected("storm", 1000)
    repeats = sum(1 for i, key in enumerate(keys) if key in keys[:i])
    assert repeats == 950
    # New incidents keep opening until the end, not all at the start.
    assert plan[-20].keys != plan[-21].keys
    assert [send.at for send in plan] == [i / 100 for i in range(1000)]


def test_alertmanager_sends_groups_of_alerts_each_when_its_first_alert_is_due():
    plan = shapes.plan(shape="alertmanager", alerts=25, rate=10, prefix="a")
    assert [len(send.keys) for send in plan] == [10, 10, 5]
    assert [send.at for send in plan] == [0.0, 1.0, 2.0]
    assert len({key for send in plan for key in send.keys}) == 25


@pytest.mark.parametrize(
    ("shape", "alerts", "rate"),
    [("nope", 1, 1), ("steady", 0, 1), ("steady", 1, 0)],
)
def test_a_plan_refuses_what_cannot_be_driven(shape, alerts, rate):
    with pytest.raises(ValueError):
        shapes.plan(shape=shape, alerts=alerts, rate=rate, prefix="x")


def test_the_webhook_body_is_what_the_generic_webhook_parses_into_one_firing_alert():
    event = webhook.parse(json.loads(payloads.webhook_body("r1-3")))
    assert (event.action, event.dedup_key, event.severity) == ("trigger", "r1-3", "critical")


def test_the_alertmanager_body_has_the_captured_shape_and_parses_into_one_event_an_alert():
    captured = json.loads((CAPTURED / "webhook-firing-two-alerts.json").read_text())
    send = shapes.plan(shape="alertmanager", alerts=3, rate=1, prefix="r2")[0]
    body = json.loads(payloads.body_for("alertmanager", send, started="2026-12-01T00:00:00Z"))
    assert body.keys() == captured.keys()
    assert body["alerts"][0].keys() == captured["alerts"][0].keys()
    events = alertmanager.parse(body)
    assert [event.dedup_key for event in events] == [payloads.fingerprint(key) for key in send.keys]
    assert len({event.dedup_key for event in events}) == 3
    assert all(len(event.dedup_key) == 16 for event in events)
