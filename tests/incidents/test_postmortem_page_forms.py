"""The postmortem editor's smaller forms, as plain POSTs: the timeline (an entry added by hand in
the writer's zone, a drafted one edited or hidden without touching the incident's record), the
review (reviewers among the team, approval by a reviewer only, publishing), and action items
(added, changed, deleted; still changing once the postmortem is published, when nothing else
does)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from incidents.models import Postmortem, PostmortemEntry, TimelineEntry
from incidents.services.incidents import incident_add_note
from oncall.models import Team

from .postmortems import sre_member, started
from .test_web_config import browser, field_errors, someone

pytestmark = pytest.mark.django_db


@pytest.fixture
def drafted(demo, workers):
    return started(workers)


def text_of(response) -> str:
    return response.content.decode()


def entries_url(postmortem, entry=None) -> str:
    tail = f"{entry.pk}/" if entry else ""
    return f"/postmortems/{postmortem.pk}/entries/{tail}"


def test_an_entry_added_by_hand_is_read_in_the_writer_zone(drafted, sre):
    postmortem, _ = drafted
    writer = browser(someone("pm-reader", "responder", sre, zone="Asia/Singapore"))
    data = {"new-entry-at": "2027-01-13T18:05:00", "new-entry-text": "Paged the storage team."}
    response = writer.post(entries_url(postmortem), data)
    assert response.status_code == 302
    entry = postmortem.entries.get(kind=PostmortemEntry.MANUAL)
    assert entry.at == datetime(2027, 1, 13, 10, 5, tzinfo=UTC)
    assert entry.text == "Paged the storage team."
    postmortem.refresh_from_db()
    assert postmortem.revision == 2


def test_an_entry_without_text_is_an_error_in_place_and_nothing_is_added(drafted):
    postmortem, _ = drafted
    count = postmortem.entries.count()
    data = {"new-entry-at": "2027-01-13T10:05:00", "new-entry-text": ""}
    response = browser(sre_member("responder")).post(entries_url(postmortem), data)
    assert response.status_code == 400
    assert field_errors(response)["What happened"] == ["This field is required."]
    assert postmortem.entries.count() == count


def test_editing_a_drafted_entry_marks_it_edited_and_leaves_the_incident_record(drafted):
    postmortem, incident = drafted
    entry = postmortem.entries.filter(origin__startswith="timeline:").first()
    original = TimelineEntry.objects.get(pk=entry.origin.split(":")[1])
    before = (original.at, original.message)
    client = browser(someone("pm-utc", "responder", postmortem.team, zone="UTC"))
    data = {
        f"entry-{entry.pk}-at": entry.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        f"entry-{entry.pk}-text": "Disk full on edge-3.",
        "op": "save",
    }
    assert client.post(entries_url(postmortem, entry), data).status_code == 302
    at = entry.at
    entry.refresh_from_db()
    assert entry.text == "Disk full on edge-3." and entry.edited and entry.at == at
    original.refresh_from_db()
    assert (original.at, original.message) == before


def test_hiding_and_showing_a_drafted_entry(drafted, sre):
    postmortem, _ = drafted
    entry = postmortem.entries.filter(origin__startswith="timeline:").first()
    client = browser(sre_member("responder"))
    assert client.post(entries_url(postmortem, entry), {"op": "hide"}).status_code == 302
    entry.refresh_from_db()
    assert entry.hidden
    viewer = browser(someone("pm-viewer", "viewer", sre))
    assert f'id="entry-{entry.pk}"' not in text_of(viewer.get(f"/postmortems/{postmortem.pk}/"))
    assert "Unhide" in text_of(client.get(f"/postmortems/{postmortem.pk}/"))
    assert client.post(entries_url(postmortem, entry), {"op": "unhide"}).status_code == 302
    entry.refresh_from_db()
    assert not entry.hidden


def test_only_an_entry_added_by_hand_is_deleted(drafted):
    postmortem, _ = drafted
    client = browser(sre_member("responder"))
    drafted_entry = postmortem.entries.filter(origin__startswith="timeline:").first()
    response = client.post(entries_url(postmortem, drafted_entry), {"op": "delete"})
    assert response.status_code == 409
    assert "hidden, not deleted" in text_of(response)
    assert PostmortemEntry.objects.filter(pk=drafted_entry.pk).exists()
    data = {"new-entry-at": "2027-01-13T10:05:00", "new-entry-text": "Typo."}
    client.post(entries_url(postmortem), data)
    mine = postmortem.entries.get(kind=PostmortemEntry.MANUAL)
    assert client.post(entries_url(postmortem, mine), {"op": "delete"}).status_code == 302
    assert not PostmortemEntry.objects.filter(pk=mine.pk).exists()


def test_reviewers_are_chosen_among_the_team(drafted):
    postmortem, _ = drafted
    client = browser(sre_member("responder"))
    stranger = someone("pm-stranger", "admin", Team.objects.create(name="Payments"))
    url = f"/postmortems/{postmortem.pk}/review/"
    response = client.post(url, {"reviewers": [stranger.pk]})
    assert response.status_code == 400
    assert "Choose reviewers among the team" in text_of(response)
    assert client.post(url, {}).status_code == 400
    postmortem.refresh_from_db()
    assert postmortem.status == Postmortem.Status.DRAFT


def test_review_approve_and_publish_then_only_action_items_change(drafted, manager):
    postmortem, _ = drafted
    author, reviewer = sre_member("responder"), browser(manager)
    client = browser(author)
    reviewers = {"reviewers": [manager.pk]}
    assert client.post(f"/postmortems/{postmortem.pk}/review/", reviewers).status_code == 302
    postmortem.refresh_from_db()
    assert postmortem.status == Postmortem.Status.IN_REVIEW
    refused = client.post(f"/postmortems/{postmortem.pk}/approve/")
    assert refused.status_code == 403 and "Nothing was changed." in text_of(refused)
    assert "Approve" in text_of(reviewer.get(f"/postmortems/{postmortem.pk}/"))
    assert reviewer.post(f"/postmortems/{postmortem.pk}/approve/").status_code == 302
    assert postmortem.reviewers.get().approved_at is not None
    assert reviewer.post(f"/postmortems/{postmortem.pk}/publish/").status_code == 302
    postmortem.refresh_from_db()
    assert postmortem.status == Postmortem.Status.PUBLISHED and postmortem.published_at

    page = text_of(client.get(f"/postmortems/{postmortem.pk}/"))
    assert "<textarea" not in page.split('id="action-items"')[0]
    assert "read-only, but for its action items" in page
    answer = client.post(f"/postmortems/{postmortem.pk}/autosave/", {"revision": "9", "title": "x"})
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "read_only"
    data = {"new-item-title": "Alert on disk at 80%", "new-item-owner": str(author.pk)}
    assert client.post(f"/postmortems/{postmortem.pk}/actions/", data).status_code == 302
    item = postmortem.action_items.get()
    done = {f"item-{item.pk}-title": item.title, f"item-{item.pk}-status": "done"}
    assert client.post(f"/postmortems/{postmortem.pk}/actions/{item.pk}/", done).status_code == 302
    item.refresh_from_db()
    assert item.status == "done" and item.done_at is not None
    deleting = client.post(f"/postmortems/{postmortem.pk}/actions/{item.pk}/", {"op": "delete"})
    assert deleting.status_code == 409
    assert postmortem.action_items.filter(pk=item.pk).exists()


def test_an_action_item_is_added_edited_and_deleted_with_errors_in_place(drafted):
    postmortem, _ = drafted
    client = browser(sre_member("responder"))
    owner = sre_member("admin")
    url = f"/postmortems/{postmortem.pk}/actions/"
    bad = {"new-item-title": "Rotate logs", "new-item-due_on": "next week", "new-item-url": "x y"}
    response = client.post(url, bad)
    assert response.status_code == 400
    errors = field_errors(response)
    assert errors["Due on"] == ["Enter a valid date."] and "Link" in errors
    assert not postmortem.action_items.exists()
    good = {
        "new-item-title": "Rotate logs",
        "new-item-owner": str(owner.pk),
        "new-item-due_on": "2027-02-01",
        "new-item-url": "https://tracker.example/OPS-1",
    }
    assert client.post(url, good).status_code == 302
    item = postmortem.action_items.get()
    assert (item.owner, str(item.due_on), item.status) == (owner, "2027-02-01", "open")
    page = text_of(client.get(f"/postmortems/{postmortem.pk}/"))
    assert "Rotate logs" in page and owner.display_name in page
    change = {
        f"item-{item.pk}-title": "Rotate logs daily",
        f"item-{item.pk}-status": "in_progress",
        f"item-{item.pk}-owner": "",
    }
    assert client.post(f"{url}{item.pk}/", change).status_code == 302
    item.refresh_from_db()
    assert (item.title, item.status, item.owner) == ("Rotate logs daily", "in_progress", None)
    assert client.post(f"{url}{item.pk}/", {"op": "delete"}).status_code == 302
    assert not postmortem.action_items.exists()


def test_a_viewer_forging_the_small_forms_changes_nothing(drafted, sre):
    postmortem, _ = drafted
    viewer = browser(someone("pm-viewer", "viewer", sre))
    entry = postmortem.entries.first()
    base = f"/postmortems/{postmortem.pk}"
    posts = [
        (f"{base}/entries/", {"new-entry-at": "2027-01-13T10:05:00", "new-entry-text": "x"}),
        (f"{base}/entries/{entry.pk}/", {"op": "hide"}),
        (f"{base}/review/", {"reviewers": [sre_member("admin").pk]}),
        (f"{base}/actions/", {"new-item-title": "x"}),
        (f"{base}/publish/", {}),
        (f"{base}/redraft/", {}),
    ]
    for url, data in posts:
        assert viewer.post(url, data).status_code == 403, url
    postmortem.refresh_from_db()
    entry.refresh_from_db()
    assert postmortem.revision == 1 and postmortem.status == "draft" and not entry.hidden
    assert not postmortem.action_items.exists()


def test_update_from_the_record_adds_what_happened_since(drafted):
    postmortem, incident = drafted
    admin = sre_member("admin")
    later = postmortem.created_at + timedelta(minutes=5)
    incident_add_note(incident=incident, text="Disk replaced.", now=later, by=admin)
    client = browser(sre_member("responder"))
    assert "Disk replaced." not in text_of(client.get(f"/postmortems/{postmortem.pk}/"))
    response = client.post(f"/postmortems/{postmortem.pk}/redraft/")
    assert response.status_code == 302
    assert "Disk replaced." in text_of(client.get(f"/postmortems/{postmortem.pk}/"))


def test_an_entry_is_edited_on_its_own_page_in_the_writer_zone_with_errors_in_place(drafted, sre):
    postmortem, _ = drafted
    entry = postmortem.entries.filter(origin__startswith="timeline:").order_by("at").first()
    writer = browser(someone("pm-writer", "responder", sre, zone="Asia/Singapore"))
    editor = text_of(writer.get(f"/postmortems/{postmortem.pk}/"))
    assert f'href="/postmortems/{postmortem.pk}/entries/{entry.pk}/"' in editor
    page = text_of(writer.get(entries_url(postmortem, entry)))
    assert 'value="2027-01-13T18:00:00"' in page  # T0 in Singapore
    response = writer.post(entries_url(postmortem, entry), {f"entry-{entry.pk}-at": "soon"})
    assert response.status_code == 400
    errors = field_errors(response)
    assert errors["When"] == ["Enter a valid date/time."]
    assert errors["What happened"] == ["This field is required."]
    entry.refresh_from_db()
    assert not entry.edited
    assert (
        browser(someone("pm-viewer", "viewer", sre)).get(entries_url(postmortem, entry)).status_code
        == 403
    )


def test_a_responder_publishes_only_once_every_reviewer_approved_and_can_return_it(
    drafted, manager
):
    postmortem, _ = drafted
    author = browser(sre_member("responder"))
    base = f"/postmortems/{postmortem.pk}"
    author.post(f"{base}/review/", {"reviewers": [manager.pk]})
    assert "Publish" not in text_of(author.get(f"{base}/"))
    refused = author.post(f"{base}/publish/")
    assert refused.status_code == 403 and "every reviewer" in text_of(refused)
    assert author.post(f"{base}/return/").status_code == 302
    postmortem.refresh_from_db()
    assert postmortem.status == Postmortem.Status.DRAFT and not postmortem.published_at
    assert "<textarea" in text_of(author.get(f"{base}/"))  # editable again
