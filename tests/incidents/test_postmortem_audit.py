"""Every postmortem change is in the audit log, with the person who made it as its actor."""

from collections import Counter
from datetime import date, timedelta

import pytest

from incidents.services.postmortems import (
    action_item_create,
    action_item_delete,
    action_item_update,
    entry_add,
    entry_delete,
    entry_update,
    postmortem_approve,
    postmortem_publish,
    postmortem_request_review,
    postmortem_return_to_draft,
    postmortem_settings_update,
    postmortem_start,
    postmortem_update,
)
from oncall.audit import audit_context
from oncall.models import AuditEntry

from .conftest import T0
from .postmortems import incident_with_record, person

NOW = T0 + timedelta(hours=2)


@pytest.mark.django_db
def test_every_change_is_audited_with_the_person_as_actor(demo, workers):
    incident = incident_with_record(workers)
    joao, rita, helena = person("joao"), person("rita"), person("helena")
    start = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0

    postmortem = postmortem_start(incidents=[incident], by=joao, now=NOW)
    summary = postmortem.sections.first()
    postmortem = postmortem_update(
        postmortem=postmortem,
        by=joao,
        now=NOW,
        revision=1,
        title="Edge disks",
        sections={summary.pk: "Full."},
    )
    note = postmortem.entries.get(kind="note")
    entry_update(entry=note, by=rita, now=NOW, hidden=True)
    added = entry_add(postmortem=postmortem, by=rita, now=NOW, at=T0, text="Deploy 41.")
    entry_delete(entry=added, by=rita, now=NOW)
    item = action_item_create(
        postmortem=postmortem,
        by=rita,
        now=NOW,
        title="Alert at 80%",
        owner=joao,
        due_on=date(2027, 2, 1),
    )
    action_item_update(item=item, by=joao, now=NOW, status="in_progress")
    spare = action_item_create(postmortem=postmortem, by=rita, now=NOW, title="Spare")
    action_item_delete(item=spare, by=helena, now=NOW)
    postmortem_request_review(postmortem=postmortem, by=joao, now=NOW, reviewers=[rita])
    postmortem_return_to_draft(postmortem=postmortem, by=joao, now=NOW)
    postmortem_request_review(postmortem=postmortem, by=joao, now=NOW, reviewers=[rita])
    postmortem_approve(postmortem=postmortem, by=rita, now=NOW)
    postmortem_publish(postmortem=postmortem, by=helena, now=NOW)
    postmortem_settings_update(team=postmortem.team, by=helena, now=NOW, required_for_critical=True)

    entries = list(AuditEntry.objects.filter(id__gt=start).order_by("id"))
    assert entries and all(e.source == "shell" for e in entries)
    assert {e.actor_name for e in entries} == {
        joao.display_name,
        rita.display_name,
        helena.display_name,
    }
    assert all(e.team_id == postmortem.team_id for e in entries)
    done = Counter((e.actor, e.object_type, e.action) for e in entries)
    drafted = postmortem.entries.count() + 1  # and the manual entry added and deleted
    assert done[("joao", "postmortem", "create")] == 1
    assert done[("joao", "postmortem_incident", "create")] == 1
    assert done[("joao", "postmortem_section", "create")] == postmortem.sections.count()
    assert done[("joao", "postmortem_entry", "create")] == drafted - 1
    assert done[("joao", "postmortem_section", "update")] == 0  # the body is not recorded
    assert done[("rita", "postmortem_entry", "update")] == 1
    assert done[("rita", "postmortem_entry", "create")] == 1
    assert done[("rita", "postmortem_entry", "delete")] == 1
    assert done[("rita", "action_item", "create")] == 2
    assert done[("joao", "action_item", "update")] == 1
    assert done[("helena", "action_item", "delete")] == 1
    assert done[("joao", "postmortem_reviewer", "create")] == 1
    assert done[("rita", "postmortem_reviewer", "update")] == 1
    assert done[("helena", "postmortem_settings", "create")] == 1
    published = [e for e in entries if e.actor == "helena" and e.object_type == "postmortem"]
    assert published[-1].changes["status"] == ["in_review", "published"]
    saved = next(e for e in entries if e.actor == "joao" and e.action == "update")
    assert saved.changes["revision"] == [1, 2] and saved.changes["title"][1] == "Edge disks"


@pytest.mark.django_db
def test_a_request_context_keeps_its_own_actor_and_source(demo, workers):
    incident = incident_with_record(workers)
    joao = person("joao")
    with audit_context(actor=joao.user, source="api", token_name="ci"):
        postmortem_start(incidents=[incident], by=joao, now=NOW)
    (entry,) = AuditEntry.objects.filter(object_type="postmortem")
    assert (entry.actor, entry.source, entry.token_name) == ("joao", "api", "ci")
