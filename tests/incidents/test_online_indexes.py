"""Upgrading builds the new indexes on incidents and their timeline while alerts keep coming in.

Migration 0018 builds 0017's partial indexes with CREATE INDEX CONCURRENTLY on PostgreSQL: a plain
CREATE INDEX would hold back every write to the table until it is built, which on a large table
is alerts waiting seconds behind a deploy. A build that an earlier run left unfinished is
started again, and on SQLite the indexes are built the plain way.
"""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.db.migrations.executor import MigrationExecutor

from incidents.ingest.base import AlertEvent
from incidents.models import Incident, Integration, Service
from incidents.services.alerts import alerts_ingest
from oncall import clock
from oncall.models import Team

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("incidents", "0017_fewer_indexes_on_new_incidents")]
INDEXES = {
    "incidents_incident": {"incident_acknowledged_by", "incident_resolved_by", "incident_assignee"},
    "incidents_timelineentry": {"timeline_actor"},
}


def _indexes() -> dict[str, set[str]]:
    found = {}
    with connection.cursor() as cursor:
        for table, names in INDEXES.items():
            constraints = connection.introspection.get_constraints(cursor, table)
            found[table] = {name for name in names if name in constraints}
    return found


def _to_latest() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def _integration() -> Integration:
    team = Team.objects.create(name="Streaming", slug="streaming")
    service = Service.objects.create(name="edge", team=team)
    return Integration.objects.create(service=service, kind=Integration.Kind.WEBHOOK, name="am")


def _other_connection(**options) -> psycopg.Connection:
    """A connection of its own to the test database, as another process would hold."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    return psycopg.connect(**params, **options)


def test_the_indexes_are_built_on_either_database():
    assert _indexes() == INDEXES
    MigrationExecutor(connection).migrate(BEFORE)
    try:
        assert _indexes() == {table: set() for table in INDEXES}
    finally:
        _to_latest()
    assert _indexes() == INDEXES


@pytest.mark.postgres
def test_alerts_are_stored_while_the_new_indexes_build():
    integration = _integration()
    MigrationExecutor(connection).migrate(BEFORE)
    # A transaction that has written to incidents and is still open, as a long report or a busy
    # worker might hold: a plain CREATE INDEX waits for it, and every write queues behind that.
    busy = _other_connection()
    failures: list[BaseException] = []

    def migrate():
        try:
            call_command("migrate", "incidents", verbosity=0)
        except BaseException as error:  # reported by the test, not lost in the thread
            failures.append(error)
        finally:
            connections.close_all()

    try:
        busy.execute("DELETE FROM incidents_incident WHERE false")
        upgrade = threading.Thread(target=migrate)
        upgrade.start()
        _wait_for_index_build(busy)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '3s'")
        try:
            results = alerts_ingest(
                integration=integration,
                events=[AlertEvent(action="trigger", dedup_key="edge-5xx", title="5xx on edge")],
                now=clock.now(),
            )
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = 0")
        assert results[0].created
        assert Incident.objects.filter(dedup_key="edge-5xx").exists()
    finally:
        busy.rollback()
        busy.close()
        upgrade.join(60)
        if failures or upgrade.is_alive():
            _to_latest()
    assert not failures, failures
    assert _indexes() == INDEXES


@pytest.mark.postgres
def test_a_build_an_earlier_run_left_unfinished_is_built_again():
    MigrationExecutor(connection).migrate(BEFORE)
    integration = _integration()
    for key in ("a", "b"):
        Incident.objects.create(
            service=integration.service, dedup_key=key, title=key, created_at=clock.now()
        )
    # A concurrent build that failed half-way leaves an INVALID index under the name: here a
    # unique one on a column with two equal values.
    with _other_connection(autocommit=True) as other:
        with pytest.raises(psycopg.errors.UniqueViolation):
            other.execute(
                "CREATE UNIQUE INDEX CONCURRENTLY incident_acknowledged_by"
                " ON incidents_incident (service_id)"
            )
        valid = other.execute(
            "SELECT indisvalid FROM pg_index"
            " WHERE indexrelid = 'incident_acknowledged_by'::regclass"
        ).fetchone()
        assert valid == (False,)

    _to_latest()

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indisvalid, indisunique, pg_get_indexdef(indexrelid) FROM pg_index"
            " WHERE indexrelid = 'incident_acknowledged_by'::regclass"
        )
        valid, unique, definition = cursor.fetchone()
    assert valid and not unique
    assert "acknowledged_by_id" in definition and "IS NOT NULL" in definition


def _wait_for_index_build(busy) -> None:
    """Wait until the migration is waiting on the open transaction to build its first index."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE query ILIKE 'CREATE INDEX%%' AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
        time.sleep(0.02)
    raise AssertionError("the migration never started building an index")
