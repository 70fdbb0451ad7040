"""Starting a postmortem: one team's incidents, none in another postmortem, drafted from the
record without changing it."""

from datetime import timedelta

import pytest

from incidents.models import (
    Alert,
    Page,
    Postmortem,
    PostmortemEntry,
    PostmortemSettings,
    TimelineEntry,
)
from incidents.models.postmortems import DEFAULT_SECTIONS
from incidents.services.incidents import incident_add_note
from incidents.services.postmortems import (
    IncidentAlreadyInPostmortem,
    IncidentsOfSeveralTeams,
    postmortem_redraft,
    postmortem_start,
)
from incidents.services.postmortems.record import ALERTS_DRAFTED

from .conftest import T0
from .postmortems import MINUTE, incident_with_record, started
from .test_engine import fire

NOW = T0 + timedelta(hours=1)


@pytest.mark.django_db
def test_a_postmortem_starts_as_a_draft_with_the_team_sections_and_the_incident_figures(
    demo, workers
):
    postmortem, incident = started(workers)
    assert postmortem.status == Postmortem.Status.DRAFT and postmortem.revision == 1
    assert postmortem.title == f"#{incident.number} Disk full"
    assert postmortem.team.name == "Platform SRE"
    assert [s.heading for s in postmortem.sections.all()] == [
        s["heading"] for s in DEFAULT_SECTIONS
    ]
    assert postmortem.began_at == incident.created_at == T0
    assert postmortem.time_to_acknowledge == 2 * MINUTE
    assert postmortem.time_to_resolve == 9 * MINUTE
    assert list(postmortem.incidents.all()) == [incident]


@pytest.mark.django_db
def test_the_timeline_holds_every_timeline_entry_alert_and_page_of_the_record(demo, workers):
    postmortem, incident = started(workers)
    drafted = {e.origin: e for e in postmortem.entries.all()}
    for entry in incident.timeline.all():
        copy = drafted[f"timeline:{entry.pk}"]
        assert (copy.at, copy.kind, copy.source) == (entry.at, entry.kind, entry.source)
        assert copy.actor_name == (entry.actor.display_name if entry.actor else "")
    for alert in Alert.objects.filter(incident=incident):
        assert drafted[f"alert:{alert.pk}"].at == alert.received_at
    sent = incident.pages.filter(state__in=["sent", "delivered", "failed"])
    assert sent.exists()
    sent_in_timeline = {
        e.data.get("page") for e in incident.timeline.filter(kind__in=["page_sent", "page_failed"])
    }
    assert all(p.pk in sent_in_timeline or f"page:{p.pk}" in drafted for p in sent)


@pytest.mark.django_db
def test_a_delivery_receipt_is_drafted_with_the_address_masked(demo, workers):
    incident = incident_with_record(workers)
    page = incident.pages.filter(kind="sms").first()
    Page.objects.filter(pk=page.pk).update(state="delivered", delivered_at=page.sent_at + MINUTE)
    postmortem = postmortem_start(incidents=[incident], by=None, now=NOW)
    entry = postmortem.entries.get(origin=f"page:{page.pk}")
    assert entry.kind == "page_delivered" and entry.at == page.sent_at + MINUTE
    assert page.address not in entry.text and page.address[-4:] in entry.text
    assert "60 s after sending" in entry.text


@pytest.mark.django_db
def test_a_team_template_gives_the_sections(demo, workers):
    incident = incident_with_record(workers)
    PostmortemSettings.objects.create(
        team=incident.service.team, sections=[{"heading": "What broke", "prompt": "Briefly."}]
    )
    postmortem = postmortem_start(incidents=[incident], by=None, now=NOW, title="Disk day")
    assert postmortem.title == "Disk day"
    assert [(s.heading, s.prompt) for s in postmortem.sections.all()] == [
        ("What broke", "Briefly.")
    ]


@pytest.mark.django_db
def test_several_related_incidents_make_one_postmortem_with_their_figures(demo, workers):
    first = incident_with_record(workers, key="a")
    second = incident_with_record(workers, service="auth", key="b", at=T0 + 30 * MINUTE)
    postmortem = postmortem_start(incidents=[second, first], by=None, now=NOW)
    assert postmortem.title == f"#{first.number} Disk full"
    assert set(postmortem.incidents.all()) == {first, second}
    assert postmortem.began_at == T0 and postmortem.resolved_at == T0 + 39 * MINUTE
    assert {e.incident_id for e in postmortem.entries.all()} == {first.pk, second.pk}


@pytest.mark.django_db
def test_incidents_of_two_teams_are_refused_and_nothing_is_stored(demo, workers, elsewhere):
    mine = incident_with_record(workers)
    theirs = fire(service="ledger", key="x")
    with pytest.raises(IncidentsOfSeveralTeams) as refused:
        postmortem_start(incidents=[mine, theirs], by=None, now=NOW)
    assert "Payments" in str(refused.value) and "Platform SRE" in str(refused.value)
    assert not Postmortem.objects.exists() and not PostmortemEntry.objects.exists()


@pytest.mark.django_db
def test_an_incident_already_in_a_postmortem_is_refused(demo, workers):
    postmortem, incident = started(workers)
    other = incident_with_record(workers, service="auth", key="other")
    with pytest.raises(IncidentAlreadyInPostmortem) as refused:
        postmortem_start(incidents=[other, incident], by=None, now=NOW)
    assert refused.value.postmortem == postmortem and refused.value.incident == incident
    assert f"#{incident.number}" in str(refused.value)
    assert Postmortem.objects.count() == 1 and not other.postmortems.exists()


@pytest.mark.django_db
def test_many_alerts_are_drafted_up_to_a_limit_and_the_rest_summarised(demo, workers):
    incident = incident_with_record(workers)
    for n in range(ALERTS_DRAFTED + 5):
        Alert.objects.create(
            incident=incident,
            action="trigger",
            dedup_key="disk-full",
            title="Disk full",
            received_at=T0 + timedelta(seconds=n + 1),
        )
    count = Alert.objects.filter(incident=incident).count()
    postmortem = postmortem_start(incidents=[incident], by=None, now=NOW)
    assert postmortem.entries.filter(kind="alert").count() == ALERTS_DRAFTED
    (more,) = postmortem.entries.filter(kind="alerts_more")
    assert more.text.startswith(f"{count - ALERTS_DRAFTED} more alerts")


@pytest.mark.django_db
def test_a_redraft_adds_what_is_new_in_the_record_and_repeats_nothing(demo, workers):
    postmortem, incident = started(workers)
    before, record = postmortem.entries.count(), incident.timeline.count()
    note = incident_add_note(incident=incident, text="Root cause found.", now=NOW)
    postmortem = postmortem_redraft(postmortem=postmortem, now=NOW + MINUTE)
    assert postmortem.entries.count() == before + 1
    assert postmortem.entries.get(origin=f"timeline:{note.pk}").text == "Root cause found."
    assert postmortem_redraft(postmortem=postmortem, now=NOW + 2 * MINUTE).entries.count() == (
        before + 1
    )
    assert TimelineEntry.objects.filter(incident=incident).count() == record + 1


@pytest.mark.django_db
def test_a_failed_page_the_timeline_does_not_name_is_drafted_with_its_reason_masked(demo, workers):
    incident = incident_with_record(workers)
    page = incident.pages.filter(kind="sms").first()
    failed = Page.objects.create(
        incident=incident,
        step=0,
        loop=7,
        person=page.person,
        rule_id=page.rule_id,
        contact_method=page.contact_method,
        kind="sms",
        address=page.address,
        urgency="high",
        state="failed",
        due_at=T0 + MINUTE,
        created_at=T0 + MINUTE,
        failed_at=T0 + 2 * MINUTE,
        error=f"21610: {page.address} has replied STOP",
    )
    postmortem = postmortem_start(incidents=[incident], by=None, now=NOW)
    entry = postmortem.entries.get(origin=f"page:{failed.pk}")
    assert (entry.kind, entry.at) == ("page_failed", T0 + 2 * MINUTE)
    assert "has replied STOP" in entry.text and page.address not in entry.text
    assert "step 1, pass 8" in entry.text
