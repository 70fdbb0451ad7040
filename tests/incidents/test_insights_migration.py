"""The insights migration gives incidents already recorded their alert name and the channel of
their acknowledgement."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE, AFTER = [("incidents", "0011_postmortems")], [("incidents", "0013_insight_buckets")]
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def test_recorded_incidents_get_their_alert_name_and_acknowledgement_channel():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    team = apps.get_model("oncall", "Team").objects.create(name="Old", slug="old")
    service = apps.get_model("incidents", "Service").objects.create(name="old-api", team=team)
    Incident = apps.get_model("incidents", "Incident")
    labelled = Incident.objects.create(
        service=service,
        dedup_key="fp1",
        title="Disk almost full on db-1",
        details={"labels": {"alertname": "DiskFull"}},
        created_at=T0,
        acknowledged_at=T0,
        status="acknowledged",
    )
    apps.get_model("incidents", "TimelineEntry").objects.create(
        incident=labelled, at=T0, kind="acknowledged", source="voice"
    )
    plain = Incident.objects.create(service=service, dedup_key="k", title="", created_at=T0)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    apps = executor.loader.project_state(AFTER).apps
    Incident = apps.get_model("incidents", "Incident")
    rows = Incident.objects.order_by("pk").values_list("pk", "alert_name", "ack_source")
    assert list(rows) == [(labelled.pk, "DiskFull", "voice"), (plain.pk, "k", "")]
    executor = MigrationExecutor(connection)  # back to the latest state, for the next tests
    executor.migrate(executor.loader.graph.leaf_nodes())
