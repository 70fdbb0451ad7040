"""Group commit (incidents/services/group_commit.py): the writes of a group share one transaction,
answers come only after its commit, and a failing write is its own request's alone."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from incidents.ingest.base import AlertEvent
from incidents.models import Alert, Incident, Service
from incidents.services.alerts import alerts_store
from incidents.services.group_commit import GroupCommit, Write, _Item, batch_run
from incidents.services.integrations import integration_create
from oncall.audit import audit_context
from oncall.audit.context import acting
from oncall.models import Team

T0 = datetime(2027, 1, 13, 10, 0, tzinfo=UTC)


@pytest.fixture
def integration(db):
    team = Team.objects.create(name="Platform SRE", slug="platform-sre")
    service = Service.objects.create(name="playback", team=team)
    made, _ = integration_create(service=service, kind="webhook", now=T0)
    return made


def item(take) -> _Item:
    import contextvars
    from concurrent.futures import Future

    return _Item(take, contextvars.copy_context(), Future())


def trigger(integration, key: str, *, then=None, seen=None) -> Write:
    """The write of one alert for `key`; `then` runs after its rows are written."""

    def run():
        if seen is not None:
            seen.append(key)
        results = alerts_store(
            integration=integration,
            events=[AlertEvent(action="trigger", dedup_key=key, title=key)],
            now=T0,
        )
        if then is not None:
            then()
        return results

    def answer(results):
        # The reply is made once the group is committed, outside any transaction.
        return ("202", results[0].dedup_key, transaction.get_connection().in_atomic_block)

    def refuse(error):
        return ("400", key, str(error.messages[0])) if isinstance(error, ValidationError) else None

    return Write(run=run, answer=answer, refuse=refuse, order=(integration.service_id, key))


@pytest.mark.django_db(transaction=True)
def test_a_group_commits_once_and_answers_after_the_commit(integration):
    ran = batch_run([item(lambda k=k: trigger(integration, k)) for k in ("a", "b", "c")])
    assert ran.outcomes == [(True, ("202", key, False)) for key in ("a", "b", "c")]
    assert (ran.commits, ran.writes) == (1, 3)
    assert sorted(Incident.objects.values_list("dedup_key", flat=True)) == ["a", "b", "c"]


@pytest.mark.django_db(transaction=True)
def test_a_write_that_fails_halfway_is_refused_alone_and_leaves_nothing(integration):
    def bad():
        raise ValidationError("The alert names a service that is archived.")

    ran = batch_run(
        [
            item(lambda: trigger(integration, "good-1")),
            item(lambda: trigger(integration, "bad", then=bad)),  # its rows are written first
            item(lambda: trigger(integration, "good-2")),
        ]
    )
    assert ran.outcomes == [
        (True, ("202", "good-1", False)),
        (True, ("400", "bad", "The alert names a service that is archived.")),
        (True, ("202", "good-2", False)),
    ]
    # The group was rolled back whole and each write run again alone: "bad" left no incident and
    # no alert, though its INSERTs had run inside the shared transaction.
    assert sorted(Incident.objects.values_list("dedup_key", flat=True)) == ["good-1", "good-2"]
    assert sorted(Alert.objects.values_list("dedup_key", flat=True)) == ["good-1", "good-2"]
    assert (ran.commits, ran.writes) == (2, 2)


@pytest.mark.django_db(transaction=True)
def test_a_refusal_or_a_failure_before_the_write_is_its_own_request_only(integration):
    def broken():
        raise RuntimeError("the parser crashed")

    ran = batch_run(
        [
            item(lambda: "404 unknown token"),
            item(broken),
            item(lambda: trigger(integration, "fine")),
        ]
    )
    assert ran.outcomes[0] == (True, "404 unknown token")
    assert ran.outcomes[1][0] is False and str(ran.outcomes[1][1]) == "the parser crashed"
    assert ran.outcomes[2] == (True, ("202", "fine", False))
    assert (ran.commits, ran.writes) == (1, 1)


@pytest.mark.django_db(transaction=True)
def test_writes_run_in_the_order_of_their_keys_whatever_the_order_of_arrival(integration):
    seen: list[str] = []
    batch_run([item(lambda k=k: trigger(integration, k, seen=seen)) for k in ("m", "z", "a")])
    assert seen == ["a", "m", "z"]  # the same order in every process: no deadlock between groups


def _holder():
    """Return (started, held, hold): `hold`, submitted, keeps its ingest thread until `held` is
    set, and sets `started` once it has it."""
    started, held = threading.Event(), threading.Event()

    def hold():
        started.set()
        return held.wait(10)

    return started, held, hold


def test_the_ingest_thread_runs_each_request_in_the_context_it_was_submitted_from():
    group = GroupCommit(window=0.0, most=10, after_batch=lambda ran: None)
    with audit_context(source="monitoring"):
        inside = group.submit(lambda: acting().source)
    outside = group.submit(lambda: acting().source)
    assert (inside.result(10), outside.result(10)) == ("monitoring", "shell")


def test_the_ingest_thread_takes_what_arrived_together_as_one_group():
    started, held, hold = _holder()

    groups: list[int] = []
    group = GroupCommit(
        window=0.0, most=100, after_batch=lambda ran: groups.append(len(ran.outcomes))
    )
    first = group.submit(hold)  # holds the thread while five more arrive
    started.wait(10)
    rest = [group.submit(lambda n=n: n) for n in range(5)]
    held.set()
    assert first.result(10) is True
    assert [future.result(10) for future in rest] == [0, 1, 2, 3, 4]
    assert groups == [1, 5]


def test_a_second_ingest_thread_answers_while_the_first_waits_on_its_write():
    """With two writers a slow group (a big batch waiting on PostgreSQL) holds up one thread
    only: the request behind it is answered meanwhile, not after it."""
    started, held, hold = _holder()

    group = GroupCommit(window=0.0, most=100, after_batch=lambda ran: None, writers=2)
    first = group.submit(hold)
    started.wait(10)
    second = group.submit(lambda: "answered")
    try:
        assert second.result(5) == "answered"
        assert not first.done()
    finally:
        held.set()
    assert first.result(10) is True


def test_a_cancelled_request_leaves_the_ingest_threads_answering_the_next():
    started, held, hold = _holder()

    group = GroupCommit(window=0.0, most=100, after_batch=lambda ran: None, writers=1)
    first = group.submit(hold)
    started.wait(10)
    assert first.cancel()  # as asyncio.wrap_future does when the server cancels the request
    held.set()
    assert group.submit(lambda: "answered").result(10) == "answered"


def test_writers_waiting_for_latecomers_never_take_from_an_emptied_queue():
    """Two writers both waiting for a group's latecomers: the one that loses the race goes back
    to waiting rather than failing (it once died on an empty queue, and its process answered
    with one writer less)."""
    answers: list = []
    group = GroupCommit(window=0.02, most=100, after_batch=lambda ran: None, writers=2)
    for _ in range(30):
        futures = [group.submit(lambda n=n: n) for n in range(3)]
        answers.append([future.result(10) for future in futures])
    assert answers == [[0, 1, 2]] * 30
    assert all(thread.is_alive() for thread in group._threads)


def test_big_requests_are_groups_of_their_own_and_small_ones_share():
    """A group holds its first request and then at most `most_bytes` of bodies: a 100-alert
    batch commits alone, so a second writer can take the next while it waits on the database."""
    started, held, hold = _holder()

    groups: list[int] = []
    group = GroupCommit(
        window=0.0,
        most=100,
        most_bytes=64_000,
        after_batch=lambda ran: groups.append(len(ran.outcomes)),
    )
    first = group.submit(hold)
    started.wait(10)
    big = [group.submit(lambda n=n: n, size=40_000) for n in range(3)]
    small = [group.submit(lambda n=n: n, size=1_000) for n in range(5)]
    held.set()
    assert first.result(10) is True
    assert [f.result(10) for f in big + small] == [0, 1, 2, 0, 1, 2, 3, 4]
    assert groups == [1, 1, 1, 6]  # the last batch and the five small ones after it
