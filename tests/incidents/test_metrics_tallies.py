"""GET /metrics: what became of each ingest request, and how long an alert waited for its first
page; counted by each process in rows of its own and summed at the scrape (incidents/tallies.py),
parsed back with prometheus_client's own parser."""

import json
import math
import os
from datetime import timedelta

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from incidents import tallies, tasks
from incidents.models import Incident, Page, Service, Tally
from incidents.services.integrations import integration_create
from incidents.views import ingest

from .conftest import T0
from .test_engine import fire

SECOND = timedelta(seconds=1)


def scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    families = list(text_string_to_metric_families(response.content.decode()))
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in families
        for sample in family.samples
    }


def requests_counted(figures, outcome: str, integration: str) -> float:
    labels = (("integration", integration), ("outcome", outcome))
    return figures[("plantao_ingest_requests_total", labels)]


def latency(figures, kind: str) -> dict[str, float]:
    """Return the kind's histogram: each bucket by its `le`, and its _sum and _count."""
    name = "plantao_alert_to_first_page_seconds"
    found = {"sum": figures[(f"{name}_sum", (("kind", kind),))]}
    found["count"] = figures[(f"{name}_count", (("kind", kind),))]
    for (sample, labels), value in figures.items():
        if sample == f"{name}_bucket" and ("kind", kind) in labels:
            found[dict(labels)["le"]] = value
    return found


# Ingest requests, by outcome: each a real request to the endpoint.


@pytest.fixture
def tokens(demo, frozen_now):
    frozen_now(T0)
    service = Service.objects.get(name="edge")
    made = {"service": service}
    for kind in ("webhook", "pagerduty", "heartbeat"):
        interval = 300 if kind == "heartbeat" else None
        _, made[kind] = integration_create(
            service=service, kind=kind, heartbeat_interval_seconds=interval, now=T0
        )
    return made


def webhook(client, token, body, **extra):
    data = body if isinstance(body, bytes) else json.dumps(body)
    return client.post(
        f"/integrations/webhook/{token}/", data=data, content_type="application/json", **extra
    )


FIRING = {"title": "Disk full", "status": "firing", "dedup_key": "disk", "severity": "critical"}


def _accepted(client, tokens):
    return webhook(client, tokens["webhook"], FIRING)


def _deduplicated(client, tokens):
    webhook(client, tokens["webhook"], FIRING)  # opens the incident: accepted
    return webhook(client, tokens["webhook"], FIRING)  # joins it


def _invalid(client, tokens):
    return webhook(client, tokens["webhook"], {"status": "firing"})


def _unauthorized(client, tokens):
    return webhook(client, "A" * 32, FIRING)


def _too_large(client, tokens):
    return webhook(client, tokens["webhook"], b" " * (ingest.MAX_BODY_BYTES + 1))


def _rate_limited(client, tokens):
    _, token = integration_create(
        service=tokens["service"], kind="webhook", rate_limit_per_second=1, now=T0
    )
    webhook(client, token, FIRING)
    return webhook(client, token, FIRING)


@pytest.mark.parametrize(
    "outcome, send, status",
    [
        ("accepted", _accepted, 202),
        ("deduplicated", _deduplicated, 202),
        ("invalid", _invalid, 400),
        ("unauthorized", _unauthorized, 404),
        ("too_large", _too_large, 413),
        ("rate_limited", _rate_limited, 429),
    ],
)
def test_each_ingest_outcome_moves_its_own_counter(
    client, tokens, frozen_now, outcome, send, status
):
    # The clock stands still: two requests a second apart would each have a rate window of their
    # own, and the second would not be limited.
    frozen_now(T0)
    before = scrape(client)
    assert send(client, tokens).status_code == status
    after = scrape(client)
    moved = {
        labels: after[(name, labels)] - value
        for (name, labels), value in before.items()
        if name == "plantao_ingest_requests_total" and after[(name, labels)] != value
    }
    assert moved[(("integration", "webhook"), ("outcome", outcome))] == 1
    others = {labels: n for labels, n in moved.items() if dict(labels)["outcome"] != outcome}
    # Sending a duplicate or hitting the limit takes a first request, accepted.
    assert others in ({}, {(("integration", "webhook"), ("outcome", "accepted")): 1})


def test_an_error_inside_the_view_counts_as_error(tokens, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(ingest, "alerts_store", broken)
    client = Client(raise_request_exception=False)
    assert webhook(client, tokens["webhook"], FIRING).status_code == 500
    assert requests_counted(scrape(client), "error", "webhook") == 1


def test_pagerduty_and_heartbeat_requests_are_counted_under_their_kind(client, tokens):
    enqueue = {
        "routing_key": tokens["pagerduty"],
        "event_action": "trigger",
        "payload": {"summary": "Disk full", "source": "db-1", "severity": "critical"},
    }
    assert client.post("/v2/enqueue", enqueue, content_type="application/json").status_code == 202
    unknown = {**enqueue, "routing_key": "B" * 32}
    assert client.post("/v2/enqueue", unknown, content_type="application/json").status_code == 400
    assert client.get(f"/integrations/heartbeat/{tokens['heartbeat']}/").status_code == 200
    figures = scrape(client)
    assert requests_counted(figures, "accepted", "pagerduty") == 1
    # PagerDuty answers an unknown routing key with a 400; it is still an unknown token.
    assert requests_counted(figures, "unauthorized", "pagerduty") == 1
    assert requests_counted(figures, "invalid", "pagerduty") == 0
    assert requests_counted(figures, "accepted", "heartbeat") == 1


# Alert to first page: the task path, a frozen clock.


@pytest.mark.django_db
def test_the_first_page_sent_records_its_latency_once(client, demo, recorded, rings, frozen_now):
    frozen_now(T0)
    incident = fire(at=T0)
    before = latency(scrape(client), "real")
    assert before["count"] == 0 and before["+Inf"] == 0
    sent_at = frozen_now(T0 + 7 * SECOND)  # the workers come 7 s late
    tasks.escalation_fire(incident.pk)
    for pk in Page.objects.filter(state="pending", due_at__lte=sent_at).values_list(
        "pk", flat=True
    ):
        tasks.page_send(pk)
    assert Page.objects.filter(incident=incident, state__in=("sent", "delivered")).count() > 1
    incident.refresh_from_db()
    assert incident.first_paged_at == sent_at
    after = latency(scrape(client), "real")
    # Two pages went out (SMS and e-mail): one observation, 7 s, in the buckets from 10 s up.
    assert after["count"] == 1 and after["sum"] == 7
    assert after["5.0"] == 0 and after["10.0"] == after["300.0"] == after["+Inf"] == 1
    assert latency(scrape(client), "rehearsal")["count"] == 0


@pytest.mark.django_db
def test_rehearsal_pages_are_measured_apart(client, demo, recorded, rings, frozen_now):
    frozen_now(T0)
    incident = fire(at=T0)
    Incident.objects.filter(pk=incident.pk).update(kind="rehearsal")
    frozen_now(T0 + SECOND / 2)
    tasks.escalation_fire(incident.pk)
    for pk in Page.objects.filter(state="pending", due_at__lte=T0 + SECOND).values_list(
        "pk", flat=True
    ):
        tasks.page_send(pk)
    figures = scrape(client)
    rehearsal = latency(figures, "rehearsal")
    assert rehearsal["0.25"] == 0 and rehearsal["0.5"] == 1 and rehearsal["sum"] == 0.5
    assert latency(figures, "real")["count"] == 0


# Processes: each its own rows, summed; a restart or a fork never takes a count back.


@pytest.mark.django_db
def test_two_processes_sum_and_a_restart_keeps_the_counter_rising(client, frozen_now, monkeypatch):
    frozen_now(T0)
    one, two = tallies.Accumulator("web-1:10:1"), tallies.Accumulator("web-2:11:1")
    for accumulator, n in ((one, 3), (two, 2)):
        for _ in range(n):
            accumulator.add(tallies.INGEST, "accepted:grafana")
        accumulator.flush()
    assert Tally.objects.filter(metric=tallies.INGEST).count() == 2
    assert requests_counted(scrape(client), "accepted", "grafana") == 5
    restarted = tallies.Accumulator("web-1:10:2")  # same host and pid, a later start
    restarted.add(tallies.INGEST, "accepted:grafana")
    restarted.flush()
    assert requests_counted(scrape(client), "accepted", "grafana") == 6
    # A day later the hourly task folds the dead processes' rows into one: the sum stays.
    frozen_now(T0 + timedelta(days=2))
    two.add(tallies.INGEST, "accepted:grafana")
    two.flush()  # web-2 is still alive
    monkeypatch.setattr(tallies, "COMPACT_BATCH", 1)  # one row a transaction: the loop too
    tasks.tallies_compact()
    assert requests_counted(scrape(client), "accepted", "grafana") == 7
    assert Tally.objects.get(process="retired").count == 4
    # A process thought gone that counts again adds to a new row of its own: nothing twice.
    one.add(tallies.INGEST, "accepted:grafana")
    one.flush()
    assert requests_counted(scrape(client), "accepted", "grafana") == 8
    processes = set(Tally.objects.values_list("process", flat=True))
    assert processes == {"web-1:10:1", "web-2:11:1", "retired"}


@pytest.mark.django_db
def test_nothing_is_written_until_a_flush_and_an_empty_flush_writes_nothing(client):
    accumulator = tallies.Accumulator("web-3:12:1")
    accumulator.add(tallies.INGEST, "invalid:webhook")
    assert not Tally.objects.exists()
    assert accumulator.flush() == 1 and accumulator.flush() == 0
    assert Tally.objects.get().count == 1


def test_a_forked_child_takes_a_new_key_and_none_of_its_parents_counts():
    tallies.ACCUMULATOR.add(tallies.INGEST, "accepted:webhook")
    parent = tallies.ACCUMULATOR.process
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: say what it holds, and leave at once
        os.write(
            write,
            json.dumps([tallies.ACCUMULATOR.process, len(tallies.ACCUMULATOR._pending)]).encode(),
        )
        os._exit(0)
    os.close(write)
    child_key, child_pending = json.loads(os.read(read, 1000))
    os.waitpid(pid, 0)
    assert child_key != parent and child_key.split(":")[1] == str(pid)
    assert child_pending == 0
    assert tallies.ACCUMULATOR._pending  # the parent's count is still its own to write


# The exposition as a whole.


@pytest.mark.django_db
def test_the_histogram_is_a_valid_cumulative_one_for_every_kind(client):
    tallies.tallies_add(
        [
            (tallies.FIRST_PAGE, "real:1.0", 2, 1.5),
            (tallies.FIRST_PAGE, "real:60.0", 1, 45.0),
            (tallies.FIRST_PAGE, "test:+Inf", 1, 900.0),
        ],
        process="worker-1:1:1",
        now=T0,
    )
    figures = scrape(client)
    for kind in ("real", "rehearsal", "test"):
        found = latency(figures, kind)
        edges = [tallies.le_label(edge) for edge in tallies.FIRST_PAGE_BUCKETS]
        counts = [found[le] for le in edges]
        assert counts == sorted(counts) and counts[-1] == found["count"]
    assert latency(figures, "real")["0.5"] == 0 and latency(figures, "real")["1.0"] == 2
    assert latency(figures, "real")["+Inf"] == 3 and latency(figures, "real")["sum"] == 46.5
    assert latency(figures, "test")["300.0"] == 0 and latency(figures, "test")["count"] == 1


def test_bucket_edges_are_inclusive_upper_bounds():
    assert tallies.bucket_of(0) == "0.25"
    assert tallies.bucket_of(0.25) == "0.25"
    assert tallies.bucket_of(0.2500001) == "0.5"
    assert tallies.bucket_of(300) == "300.0"
    assert tallies.bucket_of(301) == "+Inf"
    assert tallies.bucket_of(math.inf) == "+Inf"


@pytest.mark.django_db
def test_a_process_writes_at_most_once_an_interval_and_arms_a_timer_for_the_rest(settings):
    settings.PLANTAO_TALLY_FLUSH_SECONDS = 1
    accumulator = tallies.Accumulator("web-4:13:1")
    accumulator.add(tallies.INGEST, "accepted:webhook")
    accumulator.flush_due()  # the first response: written at once
    accumulator.add(tallies.INGEST, "accepted:webhook")
    accumulator.flush_due()  # within the second: kept, and a timer will write it
    assert Tally.objects.get().count == 1
    assert accumulator._timer is not None
    accumulator._timer.cancel()  # this test writes it itself, in its own transaction
    accumulator._timer = None
    accumulator._flushed_at -= 1  # a second later, the next response writes both
    accumulator.flush_due()
    assert Tally.objects.get().count == 2
