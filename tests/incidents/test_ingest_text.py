"""Terminal escapes, bidirectional overrides and other invisible characters in what monitoring
sends are stripped at ingest, for every source: titles, SMS and log lines are clean, while the
raw alert keeps what came."""

import json
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from incidents.ingest.text import line_clean, text_clean, value_clean
from incidents.models import Alert, Incident, Service
from incidents.services.integrations import integration_create

from .conftest import T0

CAPTURED = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "alertmanager-0.25"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
RED, OVERRIDE = "\x1b[31m", "\u202e"
SPOOFS = (RED, OVERRIDE, "\x1b[0m", "\u2066", "\u200d", "\x07", "\x9b")
INVISIBLE = ("Cc", "Cf", "Cs")


# The pure function


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (f"{RED}Disk full{RED[:0]}\x1b[0m on db-1", "Disk full on db-1"),
        (f"invoice{OVERRIDE}fdp.exe", "invoicefdp.exe"),
        (
            "pay\u200bpal \u2066isolated\u2069 \u200ejoined\u200d \ufeffbom",
            "paypal isolated joined bom",
        ),
        ("bell\x07 and \x9b31mC1 csi \x1b]0;window title\x07done", "bell and C1 csi done"),
        ("two\r\nlines\tand a tab\u2028more", "two lines and a tab more"),
        ("Latência alta · São Paulo ✓", "Latência alta · São Paulo ✓"),
    ],
)
def test_a_line_keeps_what_people_read_and_loses_what_hides_or_repaints(text, line):
    assert line_clean(text) == line


def test_longer_text_keeps_its_lines_and_tabs():
    text = f"{RED}Start failures{OVERRIDE} are 4%.\r\nCheck\tthe manifest.\x00"
    assert text_clean(text) == "Start failures are 4%.\nCheck\tthe manifest."


def test_every_string_in_details_is_cleaned_keys_too_and_other_values_kept():
    details = {f"la{OVERRIDE}bels": {"region": f"{RED}eu"}, "values": [1.5, f"a{RED}b", None]}
    assert value_clean(details) == {"labels": {"region": "eu"}, "values": [1.5, "ab", None]}


@given(st.text())
def test_a_clean_line_has_nothing_invisible_and_is_clean_already(text):
    line = line_clean(text)
    assert not [c for c in line if unicodedata.category(c) in INVISIBLE]
    assert "\n" not in line and line == line.strip()
    assert line_clean(line) == line and text_clean(text_clean(text)) == text_clean(text)


# Every source, end to end


def _spoofed(text: str) -> str:
    return f"{RED}{text}{OVERRIDE}\x1b[0m"


def alertmanager_body() -> dict:
    body = json.loads((CAPTURED / "webhook-firing-auth.json").read_text())
    alert = body["alerts"][0]
    alert["annotations"]["summary"] = _spoofed(alert["annotations"]["summary"])
    alert["labels"]["region"] = _spoofed(alert["labels"]["region"])
    return body


def grafana_body() -> dict:
    body = json.loads((FIXTURES / "grafana-firing.json").read_text())
    for alert in body["alerts"]:
        if "summary" in alert["annotations"]:
            alert["annotations"]["summary"] = _spoofed(alert["annotations"]["summary"])
        alert["annotations"]["description"] = _spoofed(alert["annotations"]["description"])
        alert["valueString"] = _spoofed(alert["valueString"])
    return body


def webhook_body() -> dict:
    return {
        "title": _spoofed("Checkout error rate above 5%"),
        "status": "firing",
        "dedup_key": "checkout-errors",
        "severity": "critical",
        "details": {"host": _spoofed("web-3"), "note": _spoofed("line one\nline two")},
    }


def pagerduty_body() -> dict:
    body = json.loads((CAPTURED / "pagerduty-v2-trigger-auth.json").read_text())
    body["payload"]["summary"] = _spoofed(body["payload"]["summary"])
    body["payload"]["custom_details"]["firing"] = _spoofed(
        body["payload"]["custom_details"]["firing"]
    )
    return body


SOURCES = {
    "alertmanager": alertmanager_body,
    "grafana": grafana_body,
    "webhook": webhook_body,
    "pagerduty": pagerduty_body,
}


def send(client, kind: str) -> list[Incident]:
    """POST the source's captured payload, spoofed, as that source would; return its incidents."""
    service = Service.objects.get(name="auth")
    _, token = integration_create(service=service, kind=kind)
    body = SOURCES[kind]()
    if kind == "pagerduty":
        response = client.post(
            "/v2/enqueue", json.dumps(body | {"routing_key": token}), "application/json"
        )
    else:
        response = client.post(
            f"/integrations/{kind}/{token}/", json.dumps(body), "application/json"
        )
    assert response.status_code == 202, response.content
    return list(Incident.objects.filter(service=service).order_by("pk"))


def strings(value) -> list[str]:
    """Every string in a decoded JSON value."""
    if isinstance(value, str):
        return [value]
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    return [text for item in items for text in strings(item)]


def assert_clean(text: str) -> None:
    assert not [c for c in text if unicodedata.category(c) in INVISIBLE], ascii(text)
    assert "[31m" not in text and "[0m" not in text, text


@pytest.mark.django_db
@pytest.mark.parametrize("kind", SOURCES)
def test_titles_details_and_the_sms_are_clean_and_the_raw_alert_holds_what_came(
    client, twilio, demo, workers, kind
):
    workers.frozen_now(T0)
    incidents = send(client, kind)
    assert incidents
    for incident in incidents:
        assert_clean(incident.title)
        assert incident.title and not incident.title.startswith(" ")
        for text in strings(incident.details):
            assert_clean(text.replace("\n", " "))
    raw = "".join(strings([a.payload for a in Alert.objects.all()]))
    assert RED in raw and OVERRIDE in raw  # kept (escaped in its JSON) as monitoring sent them
    workers.run(T0)
    texts = [m["Body"] for m in twilio.twilio.messages]
    assert texts
    for text in texts:
        assert_clean(text)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", SOURCES)
def test_the_page_logged_by_the_console_channel_is_one_clean_line(
    client, demo, workers, settings, caplog, kind
):
    settings.PLANTAO_CHANNEL = "console"
    caplog.set_level("WARNING", logger="plantao.pages")
    workers.frozen_now(T0)
    (first, *_) = send(client, kind)
    workers.run(T0)
    logged = [r.getMessage() for r in caplog.records if r.name == "plantao.pages"]
    assert logged
    for line in logged:
        assert_clean(line)
    assert any(first.title in line for line in logged)


@pytest.mark.django_db
def test_an_incident_declared_by_hand_has_a_clean_title(demo, frozen_now):
    from incidents.services.declare import incident_declare

    service = Service.objects.get(name="auth")
    incident = incident_declare(service=service, title=_spoofed("Checkout down"), now=T0)
    assert incident.title == "Checkout down"
