"""The web tier as the Procfile starts it, over real sockets: slow and idle clients, chunked
bodies, logs without tokens, and a token rotated out of every process."""

import json
import socket
import subprocess
import sys

import pytest

from oncall.config.web import bind_refusal
from tests.webserver import (
    ROOT,
    SOCKET_TIMEOUT,
    WebServer,
    manage,
    procfile_command,
    server_env,
    token_of,
)

LIMIT = 512 * 1024


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A migrated database with a service and a webhook integration, and the server on it."""
    folder = tmp_path_factory.mktemp("web")
    env = server_env(folder / "plantao.sqlite3")
    manage(env, "migrate", "--no-input", "-v", "0")
    manage(
        env,
        "shell",
        "-c",
        "from oncall.models import Team; from incidents.models import Service; "
        "Service.objects.create(name='playback', "
        "team=Team.objects.create(name='Platform SRE', slug='platform-sre'))",
    )
    created = manage(env, "integration", "create", "--service", "playback", "--kind", "webhook")
    server = WebServer(env, folder / "web.log")
    yield {"env": env, "server": server, "token": token_of(created), "created": created}
    server.stop()


def alert(title: str) -> bytes:
    return json.dumps({"title": title, "status": "firing", "dedup_key": title}).encode()


def ingest(site, body, path=None, **headers):
    path = path or f"/integrations/webhook/{site['token']}/"
    headers = {"Content-Type": "application/json", **headers}
    return site["server"].request("POST", path, body, headers)


def test_a_hundred_slow_and_idle_clients_leave_health_and_ingest_answering(site):
    server = site["server"]
    head = (
        f"POST /integrations/webhook/{site['token']}/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/json\r\nContent-Length: 10000\r\n\r\n"
    ).encode()
    dribbling, stalled, idle = [], [], []
    try:
        for number in range(100):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=SOCKET_TIMEOUT)
            kind = number % 3
            if kind == 0:
                sock.sendall(head + b'{"title": ')  # then a byte now and then
                dribbling.append(sock)
            elif kind == 1:
                sock.sendall(head)  # then nothing of the body
                stalled.append(sock)
            else:
                idle.append(sock)  # not even a request line
        for round_ in range(3):
            for sock in dribbling:
                sock.sendall(b" ")
            status, body = server.request("GET", "/healthz")
            assert (status, json.loads(body)) == (200, {"status": "ok"})
            status, body = ingest(site, alert(f"Disk full {round_}"))
            assert status == 202, body
            assert json.loads(body)["alerts"][0]["incident"] is not None
    finally:
        for sock in dribbling + stalled + idle:
            sock.close()


def test_a_chunked_alert_is_taken(site):
    status, body = ingest(site, iter([alert("Chunked")[:10], alert("Chunked")[10:]]))
    assert status == 202, body
    assert json.loads(body)["alerts"][0]["dedup_key"] == "Chunked"


def test_a_chunked_body_over_512_kib_is_refused_with_413(site):
    padding = json.dumps({"title": "big", "status": "firing", "details": {"x": "y" * LIMIT}})
    chunks = [padding.encode()[i : i + 65536] for i in range(0, len(padding), 65536)]
    status, body = ingest(site, iter(chunks))
    assert status == 413
    assert json.loads(body)["error"]["code"] == "payload_too_large"
    # The PagerDuty endpoint answers in its own dialect, as for a declared length.
    status, body = ingest(site, iter(chunks), path="/v2/enqueue")
    assert (status, json.loads(body)["message"]) == (413, "Event is too large")
    # The server is still fine afterwards.
    assert server_answers(site)


def server_answers(site) -> bool:
    return site["server"].request("GET", "/healthz")[0] == 200


def test_an_ingest_url_without_its_slash_is_taken(site):
    status, body = ingest(site, alert("No slash"), path=f"/integrations/webhook/{site['token']}")
    assert status == 202, body


def test_the_server_log_carries_no_token(site):
    assert ingest(site, alert("Logged"))[0] == 202
    assert ingest(site, alert("Logged"), path=f"/integrations/webhook/{site['token']}")[0] == 202
    assert ingest(site, b"{", path=f"/integrations/webhook/{site['token']}/")[0] == 400
    output = site["server"].output()
    # The access log's own line, with its status: not a logging error quoting the message.
    assert 'POST /integrations/webhook/[redacted]/ HTTP/1.1" 202' in output
    assert "Logging error" not in output
    assert site["token"] not in output
    assert site["token"][:12] not in output


def test_a_token_rotated_with_no_grace_is_refused_as_soon_as_the_command_says_so(site):
    # A token of its own: rotating the shared one would break the other tests.
    env = site["env"]
    created = manage(env, "integration", "create", "--service", "playback", "--kind", "webhook")
    old = token_of(created)
    number = created.split("integration ", 1)[1].split()[0]
    path = f"/integrations/webhook/{old}/"
    assert ingest(site, alert("Before"), path=path)[0] == 202  # the server now knows the token

    rotated = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "integration",
            "rotate",
            "--id",
            number,
            "--grace-hours",
            "0",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "The old token no longer works." in rotated.stdout, rotated.stderr
    status, body = ingest(site, alert("After"), path=path)
    assert status == 404, body
    assert json.loads(body)["error"]["code"] == "unknown_integration"
    new = token_of(rotated.stdout)
    assert ingest(site, alert("After"), path=f"/integrations/webhook/{new}/")[0] == 202


def test_the_web_server_will_not_serve_a_public_address_with_a_development_key(tmp_path):
    env = server_env(tmp_path / "plantao.sqlite3", BIND_ADDRESS="0.0.0.0", PORT="8000")
    started = subprocess.run(
        ["sh", "-c", "exec " + procfile_command("web")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode != 0
    assert "Refusing to serve on 0.0.0.0: SECRET_KEY is a development key" in started.stderr


@pytest.mark.parametrize(
    ("host", "development_key", "refused"),
    [
        ("127.0.0.1", True, False),
        ("localhost", True, False),
        ("::1", True, False),
        ("0.0.0.0", True, True),
        ("192.0.2.10", True, True),
        ("0.0.0.0", False, False),
    ],
)
def test_which_addresses_a_development_key_may_serve(host, development_key, refused):
    assert (bind_refusal(host, development_key=development_key) is not None) == refused


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_web_tier_holds_a_bounded_number_of_database_connections(tmp_path):
    """Each request runs its view in a thread of its own; a connection kept per thread outlived
    it, and under load they piled up until PostgreSQL refused every new client."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    from tests.incidents.chaos import database_url

    name = connection.settings_dict["NAME"]
    env = server_env(tmp_path / "unused.sqlite3", DATABASE_URL=database_url(name))
    server = WebServer(env, tmp_path / "web.log", workers=2)
    try:
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda _: server.request("GET", "/readyz")[0], range(400)))
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                [name],
            )
            held = cursor.fetchone()[0]
    finally:
        server.stop()
    assert statuses == [200] * 400, server.output()[-2000:]
    # Two workers, each with a pool of at most PLANTAO_DB_POOL_SIZE (10) connections.
    assert held <= 20, f"{held} connections held after 400 requests"


def test_a_worker_sends_each_response_at_once_even_on_a_socket_handed_down_to_it():
    """The listening socket uvicorn hands its worker processes has no protocol number, so asyncio
    leaves Nagle's algorithm on for the connections they accept: a response written as headers,
    then body, waited for the client's delayed ACK (some 40 ms a request with 2 workers)."""
    import asyncio

    import uvicorn

    from oncall.config.web import HeaderDeadlineProtocol

    async def connect_and_check() -> int:
        listener = socket.create_server(("127.0.0.1", 0))
        client = socket.create_connection(listener.getsockname())
        accepted, _ = listener.accept()
        # As a worker process gets it: a TCP socket whose protocol number reads 0.
        handed = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 0, fileno=accepted.detach())
        config = uvicorn.Config(app=lambda scope, receive, send: None, lifespan="off")
        config.load()
        loop = asyncio.get_running_loop()
        transport, protocol = await loop.connect_accepted_socket(
            lambda: HeaderDeadlineProtocol(config, uvicorn.server.ServerState(), {}, _loop=loop),
            handed,
        )
        try:
            return handed.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        finally:
            transport.close()
            client.close()
            listener.close()

    assert asyncio.run(connect_and_check()) == 1


def test_a_busy_worker_leaves_a_burst_of_new_connections_to_an_idle_one():
    """The workers share one listening socket. asyncio's loop accepted every waiting connection
    at once, so a sender's burst of keep-alive connections all went to one worker; the web
    tier's loop takes one at a time, and a worker already holding connections waits a moment
    before taking another (an idle worker takes it meanwhile), then takes it all the same."""
    import asyncio
    import time

    from oncall.config.web import ACCEPT_DEFER_MAX, BalancedAcceptLoop

    listener = socket.create_server(("127.0.0.1", 0), backlog=16)
    address = listener.getsockname()
    loop = BalancedAcceptLoop()
    clients: list[socket.socket] = []

    def waiting() -> int:
        """Accept, here and not in the loop, the connections still waiting; return how many."""
        count = 0
        while True:
            try:
                listener.accept()[0].close()
            except BlockingIOError:
                return count
            count += 1

    def one_turn() -> None:
        loop.call_soon(loop.stop)
        loop.run_forever()

    try:
        server = loop.run_until_complete(loop.create_server(asyncio.Protocol, sock=listener))
        listener.setblocking(False)
        clients += [socket.create_connection(address) for _ in range(4)]
        time.sleep(0.05)  # the four are in the kernel's queue
        one_turn()
        assert waiting() == 3  # an idle worker took one, not the burst
        loop.run_until_complete(asyncio.sleep(0.05))  # it is the worker's connection now
        clients.append(socket.create_connection(address))
        time.sleep(0.05)
        one_turn()
        assert waiting() == 1  # holding one, the worker did not take the next at once...
        clients.append(socket.create_connection(address))
        time.sleep(0.05)
        loop.run_until_complete(asyncio.sleep(ACCEPT_DEFER_MAX * 20))
        assert waiting() == 0  # ...but a moment later it did
        assert server._active_count == 2
        server.close()
        loop.run_until_complete(asyncio.sleep(0.01))
    finally:
        loop.close()
        for client in clients:
            client.close()


def test_a_worker_imports_what_a_first_request_needs_before_it_serves(tmp_path):
    # Django imports the views, the database pool and the Redis client on their first use:
    # the first alerts after a restart waited for them. The application's import does it now,
    # without connecting to anything (here nothing answers on either address).
    wanted = ["incidents.views.twilio", "incidents.views.ingest", "psycopg_pool", "redis"]
    env = server_env(
        tmp_path / "unused.sqlite3",
        DATABASE_URL="postgres://plantao@127.0.0.1:9/nowhere",
        PLANTAO_DB_POOL="on",
        REDIS_URL="redis://127.0.0.1:9/0",
    )
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, sys; import oncall.config.asgi; "
            f"print(json.dumps([m for m in {wanted!r} if m not in sys.modules]))",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.splitlines()[-1]) == []
