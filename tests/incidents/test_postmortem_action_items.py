"""Action items: owner of the team, due date, status with when it was done, an external link;
they still change once the postmortem is published, and are then cancelled, not deleted."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError

from incidents.models import ActionItem
from incidents.services.postmortems import (
    PostmortemReadOnly,
    action_item_create,
    action_item_delete,
    action_item_update,
    postmortem_publish,
    postmortem_request_review,
)
from oncall.models import Person

from .conftest import T0
from .postmortems import person, started

NOW = T0 + timedelta(hours=2)


@pytest.mark.django_db
def test_an_item_has_an_owner_a_due_date_a_link_and_records_when_it_was_done(demo, workers):
    postmortem, _ = started(workers)
    joao = person("joao")
    item = action_item_create(
        postmortem=postmortem,
        by=joao,
        now=NOW,
        title=" Alert on disk at 80% ",
        owner=person("mei"),
        due_on=date(2027, 2, 1),
        url="https://tracker.example.com/OPS-12",
    )
    assert (item.title, item.status, item.done_at) == ("Alert on disk at 80%", "open", None)
    item = action_item_update(item=item, by=joao, now=NOW + timedelta(days=1), status="done")
    assert item.done_at == NOW + timedelta(days=1)
    item = action_item_update(item=item, by=joao, now=NOW + timedelta(days=2), status="open")
    assert item.done_at is None
    item = action_item_update(item=item, by=joao, now=NOW, status="cancelled", owner=None)
    assert item.done_at == NOW and item.owner is None


@pytest.mark.django_db
def test_bad_fields_are_named_and_nothing_is_stored(demo, workers, elsewhere):
    postmortem, _ = started(workers)
    stranger = Person.objects.create(
        user=type(person("mei").user).objects.create(username="olga"), display_name="Olga"
    )
    cases = [
        ({"title": ""}, "title"),
        ({"title": "x", "owner": stranger}, "owner"),
        ({"title": "x", "url": "javascript:alert(1)"}, "url"),
        ({"title": "x", "due_on": "tomorrow"}, "due_on"),
    ]
    for fields, field in cases:
        with pytest.raises(ValidationError) as bad:
            action_item_create(postmortem=postmortem, by=None, now=NOW, **fields)
        assert field in bad.value.message_dict
    assert not ActionItem.objects.exists()
    item = action_item_create(postmortem=postmortem, by=None, now=NOW, title="Fix it")
    for changes, field in (({"status": "finished"}, "status"), ({"colour": "red"}, "colour")):
        with pytest.raises(ValidationError) as bad:
            action_item_update(item=item, by=None, now=NOW, title="Changed", **changes)
        assert field in bad.value.message_dict
    item.refresh_from_db()
    assert (item.title, item.status) == ("Fix it", "open")


@pytest.mark.django_db
def test_once_published_items_still_change_and_are_cancelled_not_deleted(demo, workers):
    postmortem, _ = started(workers)
    helena = person("helena")
    draft_item = action_item_create(postmortem=postmortem, by=helena, now=NOW, title="Typo")
    action_item_delete(item=draft_item, by=helena, now=NOW)
    assert not ActionItem.objects.filter(pk=draft_item.pk).exists()
    item = action_item_create(postmortem=postmortem, by=helena, now=NOW, title="Add disk alert")
    postmortem_request_review(postmortem=postmortem, by=helena, now=NOW, reviewers=[helena])
    postmortem_publish(postmortem=postmortem, by=helena, now=NOW)
    later = action_item_create(postmortem=postmortem, by=helena, now=NOW, title="Runbook")
    assert later.postmortem == postmortem
    item = action_item_update(item=item, by=helena, now=NOW, status="in_progress")
    assert item.status == "in_progress"
    with pytest.raises(PostmortemReadOnly):
        action_item_delete(item=item, by=helena, now=NOW)
    assert ActionItem.objects.filter(pk=item.pk).exists()
