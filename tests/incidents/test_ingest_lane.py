"""The ingest lane (incidents/views/ingest_lane.py): the web tier as the Procfile starts it answers
the ingest URLs in front of Django's middleware and commits concurrent requests together. Each
request is answered as Django's own handler answers it (a second server on the same database,
with PLANTAO_INGEST_LANE=off, is the reference), and 202 only once its alert is committed."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.incidents.chaos import wait_until
from tests.webserver import WebServer, manage, server_env, token_of

CAPTURED = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "alertmanager-0.25"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
JSON = {"Content-Type": "application/json"}
# Headers that differ between any two answers whatever answers them.
VARYING = {"date", "server"}


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    """One database with an integration of each kind; the lane's server and Django's on it."""
    folder = tmp_path_factory.mktemp("lane")
    # Counters written after every group, not once a second: a test reads them straight after.
    env = server_env(
        folder / "plantao.sqlite3", PLANTAO_INGEST_GROUP_MS="20", PLANTAO_TALLY_FLUSH_SECONDS="0"
    )
    manage(env, "migrate", "--no-input", "-v", "0")
    manage(
        env,
        "shell",
        "-c",
        "from oncall.models import Team; from incidents.models import Service; "
        "Service.objects.create(name='playback', "
        "team=Team.objects.create(name='Platform SRE', slug='platform-sre'))",
    )
    tokens = {}
    for kind in ("alertmanager", "grafana", "webhook", "pagerduty", "heartbeat"):
        extra = ["--interval", "300"] if kind == "heartbeat" else []
        created = manage(
            env, "integration", "create", "--service", "playback", "--kind", kind, *extra
        )
        tokens[kind] = token_of(created)
    lane = WebServer(env, folder / "lane.log")
    django = WebServer({**env, "PLANTAO_INGEST_LANE": "off"}, folder / "django.log")
    yield {"env": env, "lane": lane, "django": django, "tokens": tokens}
    lane.stop()
    django.stop()


def answer(server: WebServer, method: str, path: str, body: bytes | None, headers: dict):
    """Return (status, headers without the varying ones, body as JSON) of one request."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request(method, path, body, headers)
        response = connection.getresponse()
        content = response.read()
        named = {k.lower(): v for k, v in response.getheaders() if k.lower() not in VARYING}
        return response.status, named, json.loads(content)
    finally:
        connection.close()


def webhook_path(sites, token=None, slash=True):
    path = f"/integrations/webhook/{token or sites['tokens']['webhook']}"
    return path + "/" if slash else path


def alert(key: str, status: str = "firing") -> bytes:
    return json.dumps({"title": f"Disk full {key}", "status": status, "dedup_key": key}).encode()


def enqueue(routing_key: str, key: str) -> bytes:
    return json.dumps(
        {
            "routing_key": routing_key,
            "event_action": "trigger",
            "dedup_key": key,
            "payload": {"summary": "Latency high", "source": "edge-1", "severity": "critical"},
        }
    ).encode()


CASES = {
    "webhook trigger": lambda s: ("POST", webhook_path(s), alert("parity-1"), JSON),
    "webhook without its slash": lambda s: (
        "POST",
        webhook_path(s, slash=False),
        alert("parity-2"),
        JSON,
    ),
    "alertmanager, captured": lambda s: (
        "POST",
        f"/integrations/alertmanager/{s['tokens']['alertmanager']}/",
        (CAPTURED / "webhook-firing-two-alerts.json").read_bytes(),
        JSON,
    ),
    "grafana": lambda s: (
        "POST",
        f"/integrations/grafana/{s['tokens']['grafana']}/",
        (FIXTURES / "grafana-firing.json").read_bytes(),
        JSON,
    ),
    "pagerduty trigger": lambda s: (
        "POST",
        "/v2/enqueue",
        enqueue(s["tokens"]["pagerduty"], "parity-3"),
        JSON,
    ),
    "pagerduty, unknown routing key": lambda s: (
        "POST",
        "/v2/enqueue/",
        enqueue("B" * 32, "parity-4"),
        JSON,
    ),
    "pagerduty, GET": lambda s: ("GET", "/v2/enqueue", None, {}),
    "pagerduty, not JSON": lambda s: ("POST", "/v2/enqueue", b"{nope", JSON),
    "unknown token": lambda s: ("POST", webhook_path(s, "A" * 32), alert("parity-5"), JSON),
    "token of another kind": lambda s: (
        "POST",
        webhook_path(s, s["tokens"]["grafana"]),
        alert("parity-6"),
        JSON,
    ),
    "not JSON": lambda s: ("POST", webhook_path(s), b'{"title": ', JSON),
    "not an object": lambda s: ("POST", webhook_path(s), b"[1, 2]", JSON),
    "no title": lambda s: ("POST", webhook_path(s), b'{"status": "firing"}', JSON),
    "GET on an alert URL": lambda s: ("GET", webhook_path(s), None, {}),
    "over 512 KiB": lambda s: ("POST", webhook_path(s), b" " * (512 * 1024 + 1), JSON),
}


@pytest.mark.parametrize("case", CASES)
def test_the_lane_answers_as_djangos_handler_does(sites, case):
    request = CASES[case](sites)
    # The lane first; Django's second finds what the first stored (a duplicate joins it).
    by_lane = answer(sites["lane"], *request)
    by_django = answer(sites["django"], *request)
    assert by_lane == by_django


def test_a_heartbeat_ping_through_the_lane_says_when_the_next_is_due(sites):
    path = f"/integrations/heartbeat/{sites['tokens']['heartbeat']}"
    status, headers, body = answer(sites["lane"], "GET", path, None, {})
    assert (status, sorted(body)) == (200, ["next_ping_before", "status"])
    assert body["next_ping_before"]
    assert headers["x-content-type-options"] == "nosniff"


def test_a_host_this_server_does_not_answer_for_is_refused(sites):
    status, _, body = answer(
        sites["lane"], "POST", webhook_path(sites), alert("evil-1"), {**JSON, "Host": "evil.test"}
    )
    assert (status, body["error"]["code"]) == (400, "bad_host")
    assert "evil-1" not in stored_keys(sites)


def stored_keys(sites) -> set[str]:
    printed = manage(
        sites["env"],
        "shell",
        "-c",
        "import json; from incidents.models import Alert; "
        "print(json.dumps(sorted(set(Alert.objects.values_list('dedup_key', flat=True)))))",
    )
    return set(json.loads(printed.strip().splitlines()[-1]))


def metric(server: WebServer, name: str) -> float:
    status, body = server.request("GET", "/metrics")
    assert status == 200
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            if sample.name == name:
                return sample.value
    raise LookupError(name)


def test_concurrent_alerts_share_commits_and_each_is_answered_with_its_own_incident(sites):
    lane = sites["lane"]
    commits_before = metric(lane, "plantao_ingest_commits_total")
    writes_before = metric(lane, "plantao_ingest_committed_writes_total")
    answers = {}

    def send(n: int) -> None:
        answers[n] = answer(lane, "POST", webhook_path(sites), alert(f"together-{n}"), JSON)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert {status for status, _, _ in answers.values()} == {202}
    incidents = {body["alerts"][0]["incident"] for _, _, body in answers.values()}
    assert len(incidents) == 40  # forty keys, forty incidents, each told its own
    assert {f"together-{n}" for n in range(40)} <= stored_keys(sites)
    # The counters are written just after each group is answered.
    wait_until(
        lambda: metric(lane, "plantao_ingest_committed_writes_total") >= writes_before + 40,
        timeout=10,
        what="the counters of the last group",
    )
    writes = metric(lane, "plantao_ingest_committed_writes_total") - writes_before
    commits = metric(lane, "plantao_ingest_commits_total") - commits_before
    assert writes == 40
    assert commits < writes / 2, f"{commits:.0f} commits for {writes:.0f} writes"
