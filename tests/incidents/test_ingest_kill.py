"""A web process killed in the middle of a group commit: every alert it answered 202 is stored,
and every alert of the group it died in is absent, whole, for its sender to send again.

The web tier runs as the Procfile starts it. A first wave of alerts is answered and committed;
then the test holds a lock that the next group's writes need, sends a second wave, waits until
the group is stuck inside its transaction (PostgreSQL: its INSERT of the alert rows waits for
the lock, after its incident rows are written; SQLite: its transaction waits for the database's
write lock), and kills the process with SIGKILL, as a crashed machine would.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import threading
import time

import pytest

from incidents.services.integrations import TOKEN_CACHE_SECONDS
from tests.incidents.chaos import database_url, wait_until
from tests.webserver import WebServer, manage, server_env, token_of

FIRST, SECOND = 20, 20
JSON = {"Content-Type": "application/json"}


def alert(key: str) -> bytes:
    return json.dumps({"title": f"Disk full {key}", "status": "firing", "dedup_key": key}).encode()


def site(env: dict, log) -> tuple[WebServer, str]:
    manage(
        env,
        "shell",
        "-c",
        "from oncall.models import Team; from incidents.models import Service; "
        "Service.objects.create(name='playback', "
        "team=Team.objects.create(name='Platform SRE', slug='platform-sre'))",
    )
    token = token_of(
        manage(env, "integration", "create", "--service", "playback", "--kind", "webhook")
    )
    return WebServer(env, log), f"/integrations/webhook/{token}/"


def send_all(server: WebServer, path: str, keys: list[str]) -> tuple[dict, list[threading.Thread]]:
    """Send one alert per key, each on its own connection; return {key: status or None} as the
    answers come (None: no answer, the connection broke) and the sending threads."""
    answers: dict[str, int | None] = {}

    def send(key: str) -> None:
        answered = server.request("POST", path, alert(key), JSON, timeout=120, check=False)
        answers[key] = answered[0] if answered else None

    threads = [threading.Thread(target=send, args=(key,)) for key in keys]
    for thread in threads:
        thread.start()
    return answers, threads


def kill(server: WebServer) -> None:
    os.killpg(server.process.pid, signal.SIGKILL)
    server.process.wait(10)


def check(answers_first: dict, answers_second: dict, stored: set[str]) -> None:
    first = [f"first-{n}" for n in range(FIRST)]
    second = [f"second-{n}" for n in range(SECOND)]
    assert answers_first == dict.fromkeys(first, 202)
    # Nothing of the second wave was answered: the process died before its group committed...
    assert answers_second == dict.fromkeys(second, None)
    # ...and so nothing of it is stored, while everything answered 202 is.
    assert set(first) <= stored
    assert not stored & set(second), sorted(stored & set(second))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_killed_mid_group_commit_on_postgresql_every_202_is_stored_and_nothing_else(tmp_path):
    import psycopg
    from django.db import connection

    name = connection.settings_dict["NAME"]
    env = server_env(
        tmp_path / "unused.sqlite3", DATABASE_URL=database_url(name), PLANTAO_INGEST_GROUP_MS="50"
    )
    server, path = site(env, tmp_path / "web.log")
    params = connection.get_connection_params()
    locker = psycopg.connect(**{k: v for k, v in params.items() if k != "cursor_factory"})
    try:
        answers_first, threads = send_all(server, path, [f"first-{n}" for n in range(FIRST)])
        for thread in threads:
            thread.join()

        locker.execute("LOCK TABLE incidents_alert IN SHARE ROW EXCLUSIVE MODE")
        answers_second, threads = send_all(server, path, [f"second-{n}" for n in range(SECOND)])

        def stuck() -> bool:
            # A backend that has written incident rows (holds the lock INSERT takes on them)
            # and waits for the same lock on the alerts.
            row = locker.execute(
                "SELECT count(*) FROM pg_locks waiting JOIN pg_locks written USING (pid)"
                " WHERE waiting.relation = 'incidents_alert'::regclass AND NOT waiting.granted"
                " AND written.relation = 'incidents_incident'::regclass AND written.granted"
                " AND written.mode = 'RowExclusiveLock'"
            ).fetchone()
            return row[0] > 0

        wait_until(stuck, timeout=60, what="the group to wait for the lock on the alerts")
        # Its incident rows are written, inside the open transaction: half a group.
        kill(server)
        locker.rollback()  # the lock goes; the dead process's transaction is rolled back
        for thread in threads:
            thread.join(30)

        def backends_gone() -> bool:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid NOT IN"
                    " (pg_backend_pid(), %s) AND backend_type = 'client backend'",
                    [name, locker.info.backend_pid],
                )
                return cursor.fetchone()[0] == 0

        wait_until(backends_gone, timeout=60, what="the killed process's connections to close")
        from incidents.models import Alert, Incident

        stored = set(Alert.objects.values_list("dedup_key", flat=True))
        assert set(Incident.objects.values_list("dedup_key", flat=True)) == stored
        check(answers_first, answers_second, stored)
    finally:
        locker.close()  # never left holding the lock the test database's teardown needs
        server.stop()


def test_killed_mid_group_commit_on_sqlite_every_202_is_stored_and_nothing_else(tmp_path):
    database = tmp_path / "plantao.sqlite3"
    env = server_env(database, PLANTAO_INGEST_GROUP_MS="50")
    manage(env, "migrate", "--no-input", "-v", "0")
    server, path = site(env, tmp_path / "web.log")
    try:
        answers_first, threads = send_all(server, path, [f"first-{n}" for n in range(FIRST)])
        for thread in threads:
            thread.join()

        locker = sqlite3.connect(database, timeout=30, isolation_level=None)
        locker.execute("BEGIN IMMEDIATE")  # the write lock: the group's transaction waits for it
        answers_second, threads = send_all(server, path, [f"second-{n}" for n in range(SECOND)])
        # SQLite says nothing of who waits for its lock; the group is formed within its 50 ms
        # window once the requests are read. The assertions hold whenever the kill lands.
        time.sleep(1.0)
        kill(server)
        locker.rollback()
        locker.close()
        for thread in threads:
            thread.join(30)

        reader = sqlite3.connect(database)
        stored = {key for (key,) in reader.execute("SELECT dedup_key FROM incidents_alert")}
        opened = {key for (key,) in reader.execute("SELECT dedup_key FROM incidents_incident")}
        reader.close()
        assert opened == stored
        check(answers_first, answers_second, stored)
    finally:
        server.stop()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ingest_goes_on_when_the_database_drops_the_web_process_connections(tmp_path):
    """A restarted or failed-over database closes every connection; the ingest thread keeps one
    of its own, and must open another rather than fail every alert from then on."""
    from django.db import connection

    name = connection.settings_dict["NAME"]
    env = server_env(tmp_path / "unused.sqlite3", DATABASE_URL=database_url(name))
    server, path = site(env, tmp_path / "web.log")
    try:
        assert server.request("POST", path, alert("before"), JSON)[0] == 202
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = %s"
                " AND pid <> pg_backend_pid() AND backend_type = 'client backend'",
                [name],
            )
            assert cursor.fetchone()[0] >= 1
        # Past the time a web process remembers a token: the next request's first query is the
        # token's look-up, on the connection the database has closed.
        time.sleep(TOKEN_CACHE_SECONDS + 0.5)
        statuses = [server.request("POST", path, alert(f"after-{n}"), JSON)[0] for n in range(3)]
        assert statuses == [202, 202, 202], server.output()[-3000:]
        from incidents.models import Alert

        stored = set(Alert.objects.values_list("dedup_key", flat=True))
        assert {"before", "after-0", "after-1", "after-2"} <= stored
    finally:
        server.stop()
