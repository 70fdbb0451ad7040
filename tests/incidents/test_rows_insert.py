"""rows_insert stores what the ORM stores, in as many statements as the parameter limit needs."""

import uuid
from datetime import UTC, datetime, timedelta, timezone

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from incidents.models import Alert, Incident, Integration, Service, TimelineEntry
from incidents.rows import inserts, rows_insert

NOW = datetime(2026, 12, 7, 6, 30, 15, 123456, tzinfo=UTC)
LISBON_SUMMER = timezone(timedelta(hours=1))
ODD = 'quote " backslash \\ brace {} comma , NULL ção 🚨 \t tab'


def _stored(model, ids) -> list[dict]:
    rows = model.objects.filter(pk__in=ids).order_by("pk").values()
    return [{k: v for k, v in row.items() if k != "id"} for row in rows]


def _incident(service: Service, key: str, **extra) -> dict:
    return {
        "service_id": service.pk,
        "dedup_key": key,
        "title": ODD,
        "alert_name": "PlaybackErrorRateHigh",
        "details": {"labels": {"a": ODD, "n": [1, 2.5, None, True]}, "e": {}},
        "source_url": "http://prometheus.example.org/graph?g0.expr=rate",
        "severity": "critical",
        "urgency": service.urgency_for("critical"),
        "kind": Incident.Kind.REAL,
        "created_at": NOW,
        "auto_resolve_at": NOW.astimezone(LISBON_SUMMER) + timedelta(minutes=5),
        "esc_due_at": NOW,
        "esc_rung_for": NOW,
        "esc_rung_at": NOW,
        **extra,
    }


def test_rows_are_stored_as_the_orm_stores_them(demo):
    service = Service.objects.get(name="catalog")
    integration = Integration.objects.create(service=service, kind="alertmanager", name="x")
    with transaction.atomic():
        ours = [pk for (pk,) in rows_insert(Incident, [_incident(service, "a")], returning=("id",))]
        theirs = [Incident.objects.create(**_incident(service, "b")).pk]
    mine, orm = _stored(Incident, ours), _stored(Incident, theirs)
    assert [row | {"dedup_key": "b"} for row in mine] == orm
    alert = {
        "incident_id": ours[0],
        "integration_id": integration.pk,
        "action": Alert.Action.TRIGGER,
        "dedup_key": "a",
        "title": ODD,
        "severity": "critical",
        "payload": {"fingerprint": "a", "labels": {"x": ODD}, "list": [ODD, 0]},
        "received_at": NOW,
    }
    entry = {"incident_id": ours[0], "kind": "triggered", "at": NOW, "message": ODD}
    with transaction.atomic():
        rows_insert(Alert, [alert])
        rows_insert(TimelineEntry, [entry])
        Alert.objects.create(**alert)
        TimelineEntry.objects.create(**entry)
    first, second = _stored(Alert, Alert.objects.values_list("pk", flat=True))
    assert first == second
    first, second = _stored(TimelineEntry, TimelineEntry.objects.filter(incident_id=ours[0]))
    assert first == second


def test_many_rows_take_several_statements_and_conflicts_are_skipped(demo, monkeypatch):
    monkeypatch.setattr(inserts, "PARAMETERS_MAX", 100)  # three incidents a statement
    service = Service.objects.get(name="catalog")
    with transaction.atomic():
        first = rows_insert(
            Incident,
            [_incident(service, f"k{n}") for n in range(7)],
            ignore_conflicts=True,
            returning=("id", "dedup_key"),
        )
        again = rows_insert(
            Incident,
            [_incident(service, f"k{n}") for n in range(5, 10)],
            ignore_conflicts=True,
            returning=("id", "dedup_key"),
        )
    assert [key for _, key in first] == [f"k{n}" for n in range(7)]
    assert [key for _, key in again] == ["k7", "k8", "k9"]  # k5 and k6 are open already
    assert Incident.objects.filter(dedup_key__startswith="k").count() == 10


def test_a_hundred_rows_are_one_statement_whatever_each_json_field_holds(demo):
    """On PostgreSQL the rows travel as one JSON document, on SQLite as one VALUES: either way a
    JSON field keeps a string, a list or an SQL NULL as the ORM keeps them."""
    service = Service.objects.get(name="catalog")
    kept = ["a string, not an object", [ODD, 1, None], 42, {"deep": {"er": [ODD]}}, None]
    rows = [
        _incident(service, f"r{n}", details=kept[n % 4], policy_snapshot=kept[n % 5])
        for n in range(100)
    ]
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        ours = [pk for (pk,) in rows_insert(Incident, rows, returning=("id",))]
    assert len(queries) == 1
    assert len(ours) == 100
    stored = Incident.objects.in_bulk(ours)
    assert [stored[pk].details for pk in ours] == [row["details"] for row in rows]
    assert [stored[pk].policy_snapshot for pk in ours] == [row["policy_snapshot"] for row in rows]
    assert Incident.objects.filter(pk__in=ours, policy_snapshot__isnull=True).count() == 20


def test_a_value_json_cannot_carry_is_prepared_as_the_orm_prepares_it(demo):
    service = Service.objects.get(name="catalog")
    token = uuid.UUID("12345678-1234-5678-1234-567812345678")
    with transaction.atomic():
        rows = rows_insert(Incident, [_incident(service, "a", title=token)], returning=("id",))
        theirs = [Incident.objects.create(**_incident(service, "b", title=token)).pk]
    mine, orm = _stored(Incident, [pk for (pk,) in rows]), _stored(Incident, theirs)
    assert [row | {"dedup_key": "b"} for row in mine] == orm
    assert orm[0]["title"] == str(token)
