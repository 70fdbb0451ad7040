"""The whole life of a service through the API alone, from an empty database.

Only the first superuser and its token come from the shell (there is nobody to ask the API yet).
Everything else is API calls: a team, people with phone numbers they verify with the code the
(fake) Twilio texted them, their rules, a schedule of two layers with an override of a shift,
a policy, a service with an Alertmanager integration. Then the real Alertmanager payload arrives,
the on-call person is paged through the real `twilio` client, acknowledges, resolves, and the
timeline and the audit log tell the story, step by step.
"""

import io
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from rest_framework.test import APIClient

from incidents.models import Incident
from incidents.services import doorbell
from oncall import clock
from tests.fakes.providers import FakeProviders
from tests.incidents.conftest import Workers

pytestmark = pytest.mark.django_db

CAPTURED = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "alertmanager-0.25"
SID, TWILIO_TOKEN, FROM = "AC" + "7" * 32, "twilio-token", "+15005550006"
CODE = re.compile(r"code is (\d{6})\.")
# A Wednesday in winter, 10:00 UTC.
T0 = datetime(2027, 1, 13, 10, 0, tzinfo=UTC)
PEOPLE = {
    # username: (display name, zone, phone, role)
    "ana": ("Ana Lima", "America/Sao_Paulo", "+15515550101", "admin"),
    "bruno": ("Bruno Costa", "Europe/Lisbon", "+15515550102", "responder"),
    "chen": ("Chen Wei", "Asia/Singapore", "+15515550103", "responder"),
}


@pytest.fixture
def twilio(settings):
    with FakeProviders(
        twilio_account_sid=SID, twilio_auth_token=TWILIO_TOKEN, now=lambda: clock.now()
    ) as fake:
        settings.TWILIO_ACCOUNT_SID = SID
        settings.TWILIO_AUTH_TOKEN = TWILIO_TOKEN
        settings.TWILIO_AUTH_TOKEN_PREVIOUS = ""
        settings.TWILIO_FROM_NUMBER = FROM
        settings.TWILIO_API_BASE = fake.twilio_base
        settings.PLANTAO_CHANNEL = "auto"
        yield fake.twilio


@pytest.fixture
def workers(frozen_now, monkeypatch, django_capture_on_commit_callbacks):
    """The workers: what a commit queues is done at once (the verification texts), and the
    engine's steps are driven in time order."""
    from oncall import tasks
    from oncall.config.celery import app

    monkeypatch.setattr(
        app, "send_task", lambda name, args: getattr(tasks, name.rsplit(".", 1)[1])(*args)
    )
    monkeypatch.setattr(doorbell, "_send", lambda task, pk, countdown: None)
    frozen_now(T0 - timedelta(hours=1))
    engine = Workers(frozen_now)
    engine.commits = lambda: django_capture_on_commit_callbacks(execute=True)
    return engine


def shell_token(username: str, scope: str, name: str) -> str:
    """Make an API token the way the README says, and read it off the command's last line."""
    out = io.StringIO()
    call_command("apitoken", "create", username, "--scope", scope, "--name", name, stdout=out)
    return out.getvalue().strip().splitlines()[-1]


def client_with(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def ok(answer, status=201) -> dict:
    assert answer.status_code == status, answer.content
    return answer.json() if answer.content else {}


def every(client, url: str) -> list[dict]:
    results = []
    while url:
        page = ok(client.get(url), 200)
        results += page["results"]
        url = page["next"]
    return results


def test_a_service_is_set_up_paged_acknowledged_and_resolved_through_the_api_alone(
    client, twilio, workers
):
    get_user_model().objects.create_superuser("root", "root@example.com", "not-used-here")
    root_token = shell_token("root", "admin", "provisioning")
    root = client_with(root_token)

    team = ok(root.post("/api/v1/teams/", {"name": "Streaming SRE"}))
    people = {}
    for username, (name, zone, phone, role) in PEOPLE.items():
        person = ok(
            root.post(
                "/api/v1/people/",
                {
                    "username": username,
                    "name": name,
                    "email": f"{username}@example.com",
                    "time_zone": zone,
                    "team": team["id"],
                    "role": role,
                },
            )
        )
        with workers.commits():  # the worker texts the code once the method is stored
            method = ok(
                root.post(
                    "/api/v1/contact-methods/",
                    {"person": person["id"], "kind": "sms", "address": phone},
                )
            )
        assert method["verified"] is False
        (text,) = [m["Body"] for m in twilio.messages if m["To"] == phone]
        code = CODE.search(text).group(1)
        verified = ok(
            root.post(f"/api/v1/contact-methods/{method['id']}/verify/", {"code": code}), 200
        )
        assert verified["verified"] is True
        ok(
            root.post(
                "/api/v1/notification-rules/",
                {"contact_method": method["id"], "delay_minutes": 0, "urgency": "high"},
            )
        )
        people[username] = person["id"]

    schedule = ok(
        root.post(
            "/api/v1/schedules/",
            {
                "team": team["id"],
                "name": "Primary",
                "time_zone": "UTC",
                "layers": [
                    {
                        "name": "Days",
                        "participants": [people["ana"], people["bruno"]],
                        "turn_unit": "days",
                        "turn_count": 1,
                        "handoff": "2027-01-11T08:00:00Z",
                        "time_zone": "UTC",
                    },
                    {
                        "name": "Nights",
                        "participants": [people["bruno"]],
                        "turn_unit": "weeks",
                        "turn_count": 1,
                        "handoff": "2027-01-11T20:00:00Z",
                        "time_zone": "UTC",
                        "restrictions": [
                            {"kind": "daily", "start_time": "20:00", "end_time": "08:00"}
                        ],
                    },
                ],
            },
        )
    )
    assert [layer["name"] for layer in schedule["layers"]] == ["Days", "Nights"]
    workers.frozen_now(T0)
    # Wednesday's day shift is Ana's (Monday 08:00 was Ana's, Tuesday Bruno's); Chen takes it
    # over by naming the shift exactly as shifts/ lists it.
    shifts = ok(
        root.get(
            f"/api/v1/schedules/{schedule['id']}/shifts/",
            {"since": "2027-01-13T09:00:00Z", "until": "2027-01-13T11:00:00Z"},
        ),
        200,
    )
    (shift,) = shifts
    assert shift["person"]["id"] == people["ana"]
    ok(
        root.post(
            f"/api/v1/schedules/{schedule['id']}/overrides/",
            {"person": people["chen"], "start": shift["start"], "end": shift["end"]},
        )
    )
    (now,) = ok(root.get("/api/v1/oncall/"), 200)
    assert now["now"]["person"] == {"id": people["chen"], "name": "Chen Wei"}

    policy = ok(
        root.post(
            "/api/v1/escalation-policies/",
            {
                "team": team["id"],
                "name": "Streaming default",
                "steps": [
                    {
                        "escalate_after_minutes": 5,
                        "targets": [{"kind": "schedule", "schedule": schedule["id"]}],
                    },
                    {
                        "escalate_after_minutes": 5,
                        "targets": [{"kind": "person", "person": people["ana"]}],
                    },
                ],
            },
        )
    )
    service = ok(
        root.post(
            "/api/v1/services/",
            {"team": team["id"], "name": "auth", "escalation_policy": policy["id"]},
        )
    )
    integration = ok(
        root.post("/api/v1/integrations/", {"service": service["id"], "kind": "alertmanager"})
    )
    assert integration["token"] and integration["token"] in integration["url"]

    # Alertmanager speaks.
    payload = (CAPTURED / "webhook-firing-auth.json").read_text()
    path = integration["url"].split("://", 1)[1].split("/", 1)[1]
    answer = client.post(f"/{path}", payload, content_type="application/json")
    assert answer.status_code == 202, answer.content
    workers.run(T0)
    (incident,) = every(root, "/api/v1/incidents/")
    assert incident["status"] == "triggered" and incident["service"]["id"] == service["id"]
    paged = [m["To"] for m in twilio.messages if m["Body"].startswith("[Plantao #")]
    assert paged == [PEOPLE["chen"][2]]  # the override's person, once, nobody else
    pages = every(root, f"/api/v1/incidents/{incident['number']}/pages/")
    assert [page["person"]["id"] for page in pages] == [people["chen"]]

    # Chen acknowledges from a script with their own token: the second step never pages Ana.
    chen = client_with(shell_token("chen", "respond", "chen's laptop"))
    workers.frozen_now(T0 + timedelta(minutes=2))
    acked = ok(chen.post(f"/api/v1/incidents/{incident['number']}/acknowledge/"), 200)
    assert acked["status"] == "acknowledged"
    workers.run(T0 + timedelta(hours=1))
    assert [m["To"] for m in twilio.messages if m["Body"].startswith("[Plantao #")] == paged
    workers.frozen_now(T0 + timedelta(hours=1))
    resolved = ok(chen.post(f"/api/v1/incidents/{incident['number']}/resolve/"), 200)
    assert resolved["status"] == "resolved"
    assert Incident.objects.get().status == "resolved"

    timeline = every(root, f"/api/v1/incidents/{incident['number']}/timeline/")
    kinds = [entry["kind"] for entry in timeline]
    for kind in ("triggered", "page_sent", "acknowledged", "resolved"):
        assert kind in kinds, kinds
    (ack,) = [entry for entry in timeline if entry["kind"] == "acknowledged"]
    assert ack["source"] == "api" and ack["actor"]["id"] == people["chen"]

    # The audit log names every step: who did it, through what, to which object.
    log = every(root, "/api/v1/audit/?limit=200")
    steps = {(e["action"], e["object_type"], e["actor"], e["source"]) for e in log}
    for object_type in (
        "team",
        "person",
        "membership",
        "contact_method",
        "notification_rule",
        "schedule",
        "layer",
        "layer_member",
        "layer_restriction",
        "override",
        "escalation_policy",
        "escalation_step",
        "escalation_target",
        "service",
        "integration",
    ):
        assert ("create", object_type, "root", "api") in steps, object_type
    assert ("verify", "contact_method", "root", "api") in steps
    assert ("acknowledge", "incident", "chen", "api") in steps
    assert ("resolve", "incident", "chen", "api") in steps
    (acknowledged,) = [e for e in log if e["action"] == "acknowledge"]
    assert acknowledged["token_name"] == "chen's laptop"
    assert acknowledged["object_id"] == str(incident["number"])
    everything = json.dumps(log)
    assert integration["token"] not in everything and root_token not in everything
