"""The generic JSON webhook: one event, types checked, every bad field named."""

import pytest

from incidents.ingest import webhook
from incidents.ingest.base import InvalidPayload


def problems(body) -> dict:
    with pytest.raises(InvalidPayload) as caught:
        webhook.parse(body)
    return caught.value.fields


def test_firing_with_everything():
    event = webhook.parse(
        {
            "title": "Backup  failed\non db-1",
            "status": "firing",
            "dedup_key": "backup-db-1",
            "severity": "warning",
            "details": {"exit": 2},
        }
    )
    assert event.action == "trigger"
    assert event.dedup_key == "backup-db-1"
    assert event.title == "Backup failed on db-1"
    assert event.severity == "warning"
    assert event.details == {"exit": 2}


def test_firing_with_only_a_title_lets_plantao_choose_the_key():
    event = webhook.parse({"title": "Backup failed", "status": "firing"})
    assert (event.dedup_key, event.severity, event.details) == (None, "error", {})


def test_resolved_needs_only_its_key():
    event = webhook.parse({"status": "resolved", "dedup_key": "backup-db-1"})
    assert (event.action, event.dedup_key, event.title) == ("resolve", "backup-db-1", "")


@pytest.mark.parametrize(
    "body, fields",
    [
        ([1], {"body": "must be a JSON object"}),
        ({"title": "x"}, {"status": "required"}),
        (
            {"title": "x", "status": "open"},
            {"status": 'must be "firing" or "resolved", not "open"'},
        ),
        (
            {"title": "x", "status": ["firing"]},
            {"status": 'must be "firing" or "resolved", not ["firing"]'},
        ),
        ({"status": "firing"}, {"title": "required when status is firing"}),
        ({"status": "firing", "title": "  "}, {"title": "must be a non-empty string"}),
        ({"status": "firing", "title": 7}, {"title": "must be a non-empty string"}),
        ({"status": "firing", "title": "x" * 1025}, {"title": "must be at most 1024 characters"}),
        ({"status": "resolved"}, {"dedup_key": "required when status is resolved"}),
        (
            {"status": "firing", "title": "x", "dedup_key": 12},
            {"dedup_key": "must be a non-empty string"},
        ),
        (
            {"status": "firing", "title": "x", "dedup_key": "k" * 256},
            {"dedup_key": "must be at most 255 characters"},
        ),
        (
            {"status": "firing", "title": "x", "severity": "P1"},
            {"severity": "must be one of critical, error, warning, info"},
        ),
        ({"status": "firing", "title": "x", "details": "text"}, {"details": "must be an object"}),
    ],
)
def test_bad_fields_are_named(body, fields):
    assert problems(body) == fields
