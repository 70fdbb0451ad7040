"""GET /metrics: the engine's backlog, lateness and stuck work, open incidents and fatigue, in
Prometheus's text format, parsed back with prometheus_client's own parser."""

from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from incidents.models import Incident, Page

from .conftest import T0
from .test_engine import fire

MINUTE = timedelta(minutes=1)


def scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


@pytest.mark.django_db
def test_an_idle_installation_reports_nothing_due(client, demo, frozen_now):
    frozen_now(T0)
    figures = scrape(client)
    assert figures[("plantao_escalations_due", ())] == 0
    assert figures[("plantao_escalation_oldest_due_seconds", ())] == 0
    assert figures[("plantao_pages_stuck", ())] == 0
    assert figures[("plantao_incidents_open", (("status", "triggered"),))] == 0
    assert figures[("plantao_pipeline_heartbeat_age_seconds", ())] == -1


@pytest.mark.django_db
def test_a_stalled_engine_shows_how_late_it_is(client, demo, frozen_now):
    frozen_now(T0)
    fire(key="one", at=T0)
    fire(key="two", at=T0 + MINUTE)
    frozen_now(T0 + 3 * MINUTE)  # no worker ran: both first steps are overdue
    figures = scrape(client)
    assert figures[("plantao_escalations_due", ())] == 2
    assert figures[("plantao_escalation_oldest_due_seconds", ())] == 180
    assert figures[("plantao_incidents_open", (("status", "triggered"),))] == 2
    assert figures[("plantao_incidents_open", (("status", "acknowledged"),))] == 0


@pytest.mark.django_db
def test_stuck_sends_and_the_days_interruptions_are_counted(client, demo, recorded, workers):
    incident = fire()
    workers.run(T0)  # the on-call person's SMS and e-mail go out at 10:00 UTC
    voice = incident.pages.get(kind="voice")
    Page.objects.filter(pk=voice.pk).update(state="sending", lease_until=T0 + MINUTE)
    workers.frozen_now(T0 + 2 * MINUTE)
    figures = scrape(client)
    assert figures[("plantao_pages_stuck", ())] == 1
    sent = {
        labels[0][1]: value
        for (name, labels), value in figures.items()
        if name == "plantao_pages_sent_24h"
    }
    local = incident.pages.filter(state="sent").values_list("interruption", flat=True)
    assert sum(sent.values()) == 2 and sent[local[0]] == 2
    Incident.objects.update(status="resolved", esc_due_at=None)
    assert scrape(client)[("plantao_incidents_open", (("status", "triggered"),))] == 0


def test_metrics_refuses_other_methods(client):
    assert client.post("/metrics").status_code == 405
