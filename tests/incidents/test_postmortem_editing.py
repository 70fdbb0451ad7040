"""Editing a postmortem: its text with revisions, and its own timeline, never the incident's."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from incidents.models import PostmortemEntry, TimelineEntry
from incidents.services.postmortems import (
    DraftedEntryKept,
    PostmortemReadOnly,
    StaleRevision,
    entry_add,
    entry_delete,
    entry_update,
    postmortem_publish,
    postmortem_request_review,
    postmortem_update,
)

from .conftest import T0
from .postmortems import person, started

NOW = T0 + timedelta(hours=2)


def record(incident) -> list[tuple]:
    return list(
        TimelineEntry.objects.filter(incident=incident)
        .order_by("id")
        .values_list("id", "at", "kind", "source", "actor_id", "message", "data")
    )


@pytest.mark.django_db
def test_an_update_saves_title_and_sections_as_one_new_revision(demo, workers):
    postmortem, _ = started(workers)
    summary, impact = postmortem.sections.all()[:2]
    joao = person("joao")
    postmortem = postmortem_update(
        postmortem=postmortem,
        by=joao,
        now=NOW,
        revision=1,
        title="  Disk full on the edge  ",
        sections={summary.pk: "The edge disks filled.", str(impact.pk): "*All* viewers."},
    )
    assert postmortem.revision == 2 and postmortem.updated_at == NOW
    assert postmortem.title == "Disk full on the edge"
    summary.refresh_from_db()
    impact.refresh_from_db()
    assert (summary.body, impact.body) == ("The edge disks filled.", "*All* viewers.")


@pytest.mark.django_db
def test_a_save_from_an_older_revision_is_refused_and_changes_nothing(demo, workers):
    postmortem, _ = started(workers)
    summary = postmortem.sections.first()
    joao, rita = person("joao"), person("rita")
    postmortem_update(postmortem=postmortem, by=joao, now=NOW, revision=1, title="Mine")
    with pytest.raises(StaleRevision) as stale:
        postmortem_update(
            postmortem=postmortem, by=rita, now=NOW, revision=1, sections={summary.pk: "Hers"}
        )
    assert stale.value.current == 2
    postmortem.refresh_from_db()
    summary.refresh_from_db()
    assert (postmortem.title, postmortem.revision, summary.body) == ("Mine", 2, "")


@pytest.mark.django_db
def test_bad_input_names_the_field_and_stores_nothing(demo, workers):
    postmortem, _ = started(workers)
    summary = postmortem.sections.first()
    with pytest.raises(ValidationError) as bad:
        postmortem_update(
            postmortem=postmortem,
            by=None,
            now=NOW,
            revision=1,
            sections={summary.pk: "x", 999: "y"},
        )
    assert "sections" in bad.value.message_dict and "999" in str(bad.value)
    with pytest.raises(ValidationError) as bad:
        postmortem_update(postmortem=postmortem, by=None, now=NOW, revision=1, title=" ")
    assert "title" in bad.value.message_dict
    with pytest.raises(ValidationError) as bad:
        entry_add(postmortem=postmortem, by=None, now=NOW, at=NOW.replace(tzinfo=None), text="x")
    assert "at" in bad.value.message_dict
    with pytest.raises(ValidationError) as bad:
        entry_add(postmortem=postmortem, by=None, now=NOW, at=NOW, text="   ")
    assert "text" in bad.value.message_dict
    with pytest.raises(ValidationError) as bad:
        postmortem_update(postmortem=postmortem, by=None, now=NOW, revision="1", title="x")
    assert "revision" in bad.value.message_dict
    entry = postmortem.entries.first()
    with pytest.raises(ValidationError) as bad:
        entry_update(entry=entry, by=None, now=NOW, text="Changed", hidden="false")
    assert "hidden" in bad.value.message_dict
    entry.refresh_from_db()
    assert not entry.hidden and entry.text != "Changed"
    postmortem.refresh_from_db()
    summary.refresh_from_db()
    assert postmortem.revision == 1 and summary.body == ""
    assert not postmortem.entries.filter(kind="manual").exists()


@pytest.mark.django_db
def test_editing_hiding_adding_and_deleting_entries_never_changes_the_incident_record(
    demo, workers
):
    postmortem, incident = started(workers)
    before = record(incident)
    ack = postmortem.entries.get(kind="acknowledged")
    note = postmortem.entries.get(kind="note")
    joao = person("joao")

    edited = entry_update(entry=ack, by=joao, now=NOW, text="Acknowledged from the train.")
    assert edited.edited and edited.text == "Acknowledged from the train."
    moved = entry_update(entry=note, by=joao, now=NOW, at=note.at - timedelta(seconds=30))
    assert moved.edited and moved.at == note.at - timedelta(seconds=30)
    hidden = entry_update(entry=ack, by=joao, now=NOW, hidden=True)
    assert hidden.hidden
    added = entry_add(postmortem=postmortem, by=joao, now=NOW, at=T0, text="Deploy 41 began.")
    assert (added.kind, added.actor_name, added.added_by, added.edited) == (
        "manual",
        joao.display_name,
        joao,
        False,
    )
    with pytest.raises(DraftedEntryKept):
        entry_delete(entry=note, by=joao, now=NOW)
    entry_delete(entry=added, by=joao, now=NOW)

    assert record(incident) == before
    assert not PostmortemEntry.objects.filter(pk=added.pk).exists()
    assert PostmortemEntry.objects.filter(pk=note.pk).exists()
    postmortem.refresh_from_db()
    assert postmortem.revision == 1 + 5  # each change of the timeline is a revision


@pytest.mark.django_db
def test_a_published_postmortem_is_read_only(demo, workers):
    postmortem, _ = started(workers)
    helena = person("helena")  # the team's admin, who may publish without approvals
    postmortem_request_review(postmortem=postmortem, by=helena, now=NOW, reviewers=[helena])
    postmortem = postmortem_publish(postmortem=postmortem, by=helena, now=NOW)
    entry = postmortem.entries.first()
    refused = [
        lambda: postmortem_update(postmortem=postmortem, by=helena, now=NOW, revision=1, title="x"),
        lambda: entry_add(postmortem=postmortem, by=helena, now=NOW, at=NOW, text="x"),
        lambda: entry_update(entry=entry, by=helena, now=NOW, hidden=True),
        lambda: entry_delete(entry=entry, by=helena, now=NOW),
    ]
    for attempt in refused:
        with pytest.raises(PostmortemReadOnly) as read_only:
            attempt()
        assert "published" in str(read_only.value)
    entry.refresh_from_db()
    assert not entry.hidden
