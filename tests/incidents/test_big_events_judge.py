"""The checklist's judge, pure: plain data in, the verdict and its words out; no Django."""

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path

from incidents.big_events import checklist
from incidents.big_events.checklist import GapSeen, PersonSeen, RehearsalSeen, checklist_judge

NOW = datetime(2027, 5, 29, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def ready_person(pk=1, name="Ana", **changes) -> PersonSeen:
    fields = {
        "person_id": pk,
        "name": name,
        "verified_methods": ("SMS",),
        "sent_at": NOW - timedelta(days=1),
        "confirmed_at": NOW - timedelta(days=1) + 2 * MINUTE,
        "via": "sms",
    } | changes
    return PersonSeen(**fields)


def judge(people=(), rehearsals=None, gaps=()):
    if rehearsals is None:
        rehearsals = [RehearsalSeen("edge", NOW - timedelta(days=2), True)]
    return checklist_judge(rehearsals=rehearsals, people=list(people), gaps=list(gaps), now=NOW)


def test_all_three_pass_and_the_row_says_how_fast():
    verdict = judge([ready_person()])
    assert verdict.passed and verdict.summary == "Ready"
    (row,) = verdict.rows
    assert (row.ready, row.seconds, row.via, row.missing) == (True, 120, "sms", "")


def test_each_missing_thing_is_named():
    verdict = judge(
        [
            ready_person(1, "Ana", verified_methods=()),
            ready_person(2, "Bruno", confirmed_at=None),
            ready_person(3, "Carla", sent_at=None, confirmed_at=None),
        ]
    )
    rows = {row.name: row.missing for row in verdict.rows}
    assert rows == {
        "Ana": "no verified contact method used by a high-urgency rule",
        "Bruno": "the test page is not acknowledged yet",
        "Carla": "no test page sent in the last 7 days",
    }
    assert not verdict.people.passed and verdict.people.detail.startswith("3 of 3 not ready.")
    assert verdict.summary == "Not ready: people failing"


def test_a_rehearsal_must_be_recent_and_passed():
    stale = [RehearsalSeen("edge", NOW - timedelta(days=7, minutes=1), True)]
    failed = [RehearsalSeen("edge", NOW - timedelta(days=1), False)]
    unreported = [RehearsalSeen("edge", NOW - timedelta(days=1), None)]
    for rehearsals in (stale, failed, unreported, []):
        assert not judge([ready_person()], rehearsals).rehearsal.passed
    assert judge([ready_person()], stale + [RehearsalSeen("cdn", NOW, True)]).rehearsal.passed


def test_nobody_on_call_fails_and_a_gap_fails_coverage():
    assert not judge([]).people.passed
    gap = GapSeen("Primary", NOW + timedelta(days=1), NOW + timedelta(days=1, hours=1))
    verdict = judge([ready_person()], gaps=[gap])
    assert not verdict.coverage.passed and "Primary" in verdict.coverage.detail
    assert verdict.summary == "Not ready: coverage failing"


def test_the_judge_imports_no_django_and_reads_no_clock():
    source = Path(checklist.__file__).read_text()
    modules = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module.split(".")[0])
    assert not modules & {"django", "oncall", "incidents"}
    assert "now(" not in source
