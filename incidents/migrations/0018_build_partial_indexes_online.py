"""Build 0017's partial indexes without blocking writes to incidents and their timeline."""

from django.db import migrations

from oncall.online_indexes import BuildIndexOnline


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("incidents", "0017_fewer_indexes_on_new_incidents"),
    ]

    operations = [
        BuildIndexOnline(model_name="incident", name="incident_acknowledged_by"),
        BuildIndexOnline(model_name="incident", name="incident_resolved_by"),
        BuildIndexOnline(model_name="incident", name="incident_assignee"),
        BuildIndexOnline(model_name="timelineentry", name="timeline_actor"),
    ]
