"""/api/v1/rehearsals/: start one (its twin and ingest endpoints), read what was recorded,
finish it, remove its incidents. Superusers only."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from incidents.models import Incident, Integration, Page, Rehearsal, Service
from oncall.models import AuditEntry, RehearsalSend

from .conftest import T0, client_for

SECOND = timedelta(seconds=1)


@pytest.fixture
def root(worlds, frozen_now):
    frozen_now(T0)
    user = get_user_model().objects.create_superuser("root", "root@example.org", "pw")
    person = worlds[0].people["admin"].__class__.objects.create(user=user, display_name="Root")
    return client_for(person, "admin")


def start(root, **body):
    return root.post("/api/v1/rehearsals/", {"alerts": 10, "rate": 5, **body}, format="json")


def test_only_a_superuser_rehearses(api, worlds):
    answer = api("admin").post("/api/v1/rehearsals/", {"alerts": 1, "rate": 1}, format="json")
    assert answer.status_code == 403
    assert api("admin").get("/api/v1/rehearsals/").status_code == 403
    assert not Service.objects.filter(rehearsal_of__isnull=False).exists()


def test_starting_makes_the_twin_and_its_endpoints_and_the_alerts_open_rehearsal_incidents(
    root, worlds, client
):
    red = worlds[0].service
    answer = start(root, service=red.name, shape="storm", thresholds={"p95_first_page": 5})
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert (body["service"], body["rehearsal_of"]) == ("red-cdn-rehearsal", "red-cdn")
    assert body["shape"] == "storm" and body["follow"] is False
    twin = Service.objects.get(name="red-cdn-rehearsal")
    assert (twin.team, twin.rehearsal_of) == (red.team, red)
    assert twin.escalation_policy == red.escalation_policy
    assert twin.slack_channel == ""

    posted = client.post(
        body["ingest"]["webhook"],
        {"title": "Disk full", "status": "firing", "dedup_key": "d1", "severity": "critical"},
        content_type="application/json",
    )
    assert posted.status_code == 202
    pd = client.post(
        body["ingest"]["pagerduty"],
        {
            "routing_key": body["ingest"]["routing_key"],
            "event_action": "trigger",
            "dedup_key": "d2",
            "payload": {"summary": "Latency", "source": "lb", "severity": "critical"},
        },
        content_type="application/json",
    )
    assert pd.status_code == 202, pd.content
    assert set(Incident.objects.filter(service=twin).values_list("kind", flat=True)) == {
        "rehearsal"
    }
    read = root.get(f"/api/v1/rehearsals/{body['id']}/").json()
    assert "ingest" not in read
    assert read["progress"]["incidents"] == 2 and read["progress"]["alerts"] == 2
    assert read["records"]["alert_to_incident"] == [0.0, 0.0]
    assert read["records"]["real_channel_sends"] == 0


def test_a_second_start_of_a_running_rehearsal_is_refused_until_it_finishes_or_an_hour_passes(
    root, worlds, frozen_now
):
    first = start(root).json()
    assert first["rehearsal_of"] == "blue-cdn"  # the first real service by name with a policy
    again = start(root)
    assert again.status_code == 409
    assert "blue-cdn" in again.json()["error"]["message"]
    frozen_now(T0 + timedelta(hours=1, seconds=1))
    assert start(root).status_code == 201
    assert Service.objects.filter(rehearsal_of__name="blue-cdn").count() == 1
    # The abandoned one was finished: its endpoints no longer take alerts.
    abandoned = Rehearsal.objects.get(pk=first["id"])
    assert abandoned.finished_at == T0 + timedelta(hours=1, seconds=1)
    assert Integration.objects.filter(service__name="blue-cdn-rehearsal").count() == 3


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"alerts": 0}, "alerts"),
        ({"alerts": "10"}, "alerts"),
        ({"rate": True}, "rate"),
        ({"shape": "hurricane"}, "shape"),
        ({"follow": "yes"}, "follow"),
        ({"thresholds": {"p95": "fast"}}, "thresholds"),
        ({"service": "nope"}, "service"),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(root, body, field):
    answer = start(root, **body)
    assert answer.status_code == 400
    assert field in answer.json()["error"]["fields"]
    assert not Rehearsal.objects.exists()
    assert not Service.objects.filter(rehearsal_of__isnull=False).exists()


def test_a_twin_is_not_rehearsed_itself(root, worlds):
    start(root, service="red-cdn")
    answer = start(root, service="red-cdn-rehearsal")
    assert answer.status_code == 400 and "service" in answer.json()["error"]["fields"]


def test_finishing_resolves_its_incidents_keeps_the_report_and_revokes_its_endpoints(
    root, worlds, client, frozen_now
):
    body = start(root, service="red-cdn").json()
    for key in ("a", "b"):
        client.post(
            body["ingest"]["webhook"],
            {"title": "Disk", "status": "firing", "dedup_key": key},
            content_type="application/json",
        )
    frozen_now(T0 + 10 * SECOND)
    report = {"p95_first_page": 1.5, "passed": ["p95_first_page"]}
    done = root.patch(
        f"/api/v1/rehearsals/{body['id']}/",
        {"finished": True, "report": report, "passed": True},
        format="json",
    )
    assert done.status_code == 200, done.content
    assert done.json()["finished_at"] and done.json()["passed"] is True
    assert done.json()["report"] == report
    twin = Service.objects.get(name="red-cdn-rehearsal")
    assert set(Incident.objects.filter(service=twin).values_list("status", flat=True)) == {
        "resolved"
    }
    assert not Page.objects.filter(incident__service=twin, state="pending").exists()
    assert not Integration.objects.filter(service=twin).exists()
    late = client.post(
        body["ingest"]["webhook"],
        {"title": "Disk", "status": "firing", "dedup_key": "c"},
        content_type="application/json",
    )
    assert late.status_code == 404
    # Audited, as any admin write: the rehearsal, its twin, its integrations.
    types = set(AuditEntry.objects.values_list("object_type", flat=True))
    assert {"rehearsal", "service", "integration"} <= types
    assert start(root, service="red-cdn").status_code == 201  # finished: another may start
    bad = root.patch(f"/api/v1/rehearsals/{body['id']}/", {"finished": False}, format="json")
    assert bad.status_code == 400 and "finished" in bad.json()["error"]["fields"]


def test_removing_deletes_its_incidents_and_recorded_sends_and_is_idempotent(root, worlds, client):
    body = start(root, service="red-cdn").json()
    client.post(
        body["ingest"]["webhook"],
        {"title": "Disk", "status": "firing", "dedup_key": "a"},
        content_type="application/json",
    )
    twin = Service.objects.get(name="red-cdn-rehearsal")
    incident = Incident.objects.get(service=twin)
    page = Page.objects.create(
        incident=incident,
        step=0,
        loop=0,
        person=worlds[0].people["admin"],
        rule_id=1,
        kind="sms",
        address="+1",
        urgency="high",
        due_at=T0,
        created_at=T0,
    )
    RehearsalSend.objects.create(
        reference=page.reference, kind="sms", address="+1", provider_id="r-1", sent_at=T0
    )
    RehearsalSend.objects.create(
        reference="page-999999", kind="sms", address="+1", provider_id="r-2", sent_at=T0
    )
    real = worlds[0].incident
    for _ in range(2):
        answer = root.post(f"/api/v1/rehearsals/{body['id']}/remove/")
        assert answer.status_code == 200, answer.content
        assert answer.json()["removed_at"] and answer.json()["finished_at"]
    assert not Incident.objects.filter(service=twin).exists()
    assert list(RehearsalSend.objects.values_list("provider_id", flat=True)) == ["r-2"]
    assert Incident.objects.filter(pk=real.pk).exists()


def test_the_list_is_newest_first_and_filters_by_the_real_service(root, worlds, frozen_now):
    start(root, service="red-cdn")
    frozen_now(T0 + SECOND)
    start(root, service="blue-cdn")
    listed = root.get("/api/v1/rehearsals/").json()["results"]
    assert [r["rehearsal_of"] for r in listed] == ["blue-cdn", "red-cdn"]
    only = root.get("/api/v1/rehearsals/", {"service": "red-cdn"}).json()["results"]
    assert [r["rehearsal_of"] for r in only] == ["red-cdn"]


def test_tokens_are_not_in_the_audit_log_or_the_logs(root, worlds, caplog):
    body = start(root, service="red-cdn").json()
    token = body["ingest"]["routing_key"]
    assert token not in caplog.text
    for entry in AuditEntry.objects.all():
        assert token not in str(entry.changes)


def test_a_session_of_a_non_superuser_is_refused(worlds):
    client = APIClient()
    client.force_login(worlds[0].people["admin"].user)
    assert client.get("/api/v1/rehearsals/").status_code == 403
