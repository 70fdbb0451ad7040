"""A Celery worker keeps its PostgreSQL connection from one task to the next, as a web process
does from one request to the next, and drops it only when it is broken or past CONN_MAX_AGE.

Left to itself, Celery's Django fixup closes the connection before and after every task: under
load each task paid for a new PostgreSQL backend on the way to the first page. These tests drive
the fixup Celery installs in every worker process, and the task signals it listens to.
"""

import pytest
from celery.fixups.django import DjangoWorkerFixup
from celery.signals import task_postrun, task_prerun
from django.db import connection

from oncall.config.celery import app

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class _Request:
    is_eager = False  # run by a worker, not inline


class _Task:
    """What the task signals carry as their sender: the task, with its request."""

    name = "incidents.tasks.engine_run"
    request = _Request()


@pytest.fixture
def worker_signals():
    """The worker's Django fixup, connected to the task signals as in a worker process."""
    fixup = DjangoWorkerFixup(app)
    task_prerun.connect(fixup.on_task_prerun)
    task_postrun.connect(fixup.on_task_postrun)
    yield fixup
    task_prerun.disconnect(fixup.on_task_prerun)
    task_postrun.disconnect(fixup.on_task_postrun)
    connection.close()


def _task(body) -> object:
    """Run `body` the way a worker runs a task: the signals before and after it."""
    task = _Task()
    task_prerun.send(sender=task, task_id="t", task=task, args=(), kwargs={})
    try:
        return body()
    finally:
        task_postrun.send(
            sender=task, task_id="t", task=task, args=(), kwargs={}, retval=None, state="SUCCESS"
        )


def _backend() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _terminate(pid: int) -> None:
    """End a backend from another connection, as a PostgreSQL restart or failover would."""
    import psycopg

    params = connection.get_connection_params()
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


def test_tasks_in_a_row_share_one_database_connection(worker_signals):
    backends = {_task(_backend) for _ in range(6)}

    assert len(backends) == 1, f"each task opened a connection of its own: {backends}"


def test_a_connection_older_than_conn_max_age_is_replaced_after_the_task(worker_signals):
    first = _task(_backend)
    connection.close_at = 0  # as if CONN_MAX_AGE had passed since it was opened

    assert _task(_backend) == first  # closed after the task, not in the middle of it
    assert _task(_backend) != first


def test_a_connection_postgresql_ended_is_replaced_and_the_next_task_runs(worker_signals):
    first = _task(_backend)
    _terminate(first)  # between two tasks: a restart, a failover

    later = _task(_backend)  # checked (CONN_HEALTH_CHECKS) and opened again, not an error

    assert later != first
