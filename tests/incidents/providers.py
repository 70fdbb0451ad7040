"""Twilio as the tests see it: the account, signed requests from it, an alert to page for."""

import json
from pathlib import Path

from incidents.models import Incident, Service
from incidents.services.integrations import integration_create
from tests.fakes.providers import twilio_signature

SID, TOKEN, OLD_TOKEN = "AC" + "1" * 32, "twilio-token-now", "twilio-token-before"
FROM = "+15005550006"
PUBLIC = "https://oncall.example.com"
CAPTURED = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "alertmanager-0.25"


def signed_post(client, path, params, token=TOKEN, **extra):
    signature = twilio_signature(PUBLIC + path, params, token)
    return client.post(path, params, HTTP_X_TWILIO_SIGNATURE=signature, **extra)


def alertmanager(client):
    integration, token = integration_create(
        service=Service.objects.get(name="auth"), kind="alertmanager"
    )
    body = json.loads((CAPTURED / "webhook-firing-auth.json").read_text())
    response = client.post(
        f"/integrations/alertmanager/{token}/", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 202
    return Incident.objects.get(service=integration.service)
