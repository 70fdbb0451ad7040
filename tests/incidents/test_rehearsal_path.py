"""A rehearsal through the production path (HTTP in, the real Celery tasks run eagerly): its
incidents page the real people's rules, and every page reaches no one."""

from datetime import timedelta

from incidents.models import Incident, Page, Rehearsal, Service
from incidents.rehearsals.selectors import rehearsal_records
from incidents.rehearsals.twins import twin_for
from oncall.channels.recording import sends
from oncall.models import RehearsalSend

from .conftest import T0
from .test_task_path import org, post_alert, worker  # noqa: F401 - the fixtures

SECOND = timedelta(seconds=1)


def test_a_rehearsal_incident_pages_through_the_rehearsal_channel_and_reaches_no_one(
    org,  # noqa: F811
    worker,  # noqa: F811
    client,
    settings,
):
    twin = twin_for(Service.objects.get(name="edge"))
    rehearsal = Rehearsal.objects.create(service=twin, alerts=1, rate=1, started_at=T0)
    number = post_alert(client, twin, "disk-full")
    incident = Incident.objects.get(pk=number)
    assert incident.kind == Incident.Kind.REHEARSAL
    worker(T0 + 10 * SECOND)
    left = Page.objects.filter(incident=incident, state__in=["sent", "delivered"])
    assert left.exists()
    assert sends(settings.PLANTAO_RECORDING_PATH) == []  # nothing reached a real channel
    assert sorted(RehearsalSend.objects.values_list("reference", flat=True)) == sorted(
        p.reference for p in left
    )
    incident.refresh_from_db()
    assert incident.first_paged_at == min(p.sent_at for p in left)
    # What the server recorded, as the client reads it: the step fired when due, no real send.
    records = rehearsal_records(rehearsal, now=T0 + 10 * SECOND)["records"]
    assert records["alert_to_incident"] == [0.0] and records["escalation_lateness"] == [0.0]
    assert records["real_channel_sends"] == 0 and records["alert_to_first_page"] == [0.0]

    # The same alert to the real service pages for real.
    real = post_alert(client, Service.objects.get(name="edge"), "disk-full")
    assert sends(settings.PLANTAO_RECORDING_PATH)
    assert all(f"#{real}" in s["subject"] for s in sends(settings.PLANTAO_RECORDING_PATH))
    assert Incident.objects.get(pk=real).first_paged_at == T0 + 10 * SECOND
