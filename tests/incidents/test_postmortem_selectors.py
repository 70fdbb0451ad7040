"""Reading postmortems: who sees and may do what, one postmortem in a fixed number of queries,
the incidents still owed one, and late action items."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.models import ActionItem, Incident, PostmortemEntry
from incidents.postmortem_access import (
    can_edit_postmortem,
    can_manage_postmortem_settings,
    can_publish,
    can_review,
    can_start_postmortem,
    postmortems_visible,
)
from incidents.postmortem_selectors import (
    action_items_of_team,
    action_items_overdue,
    incidents_needing_postmortem,
    postmortem_detail,
    postmortem_list,
    postmortem_of_incident,
)
from incidents.services.postmortems import (
    action_item_create,
    action_item_update,
    postmortem_approve,
    postmortem_request_review,
    postmortem_settings_update,
    postmortem_start,
)
from oncall.models import Membership, Person, Team

from .conftest import T0
from .postmortems import incident_with_record, person, started
from .test_engine import fire

NOW = T0 + timedelta(hours=2)


def outsider(team_name="Payments", role="admin") -> Person:
    user = type(person("mei").user).objects.create(username=f"{role}-of-{team_name}".lower())
    someone = Person.objects.create(user=user, display_name=f"{role} of {team_name}")
    Membership.objects.create(team=Team.objects.get(name=team_name), person=someone, role=role)
    return someone


@pytest.mark.django_db
def test_people_see_their_teams_postmortems_and_edit_them_by_role(demo, workers, elsewhere):
    postmortem, incident = started(workers)
    stranger = outsider()
    viewer = person("mei")
    Membership.objects.filter(person=viewer).update(role="viewer")
    joao, helena, admin = person("joao"), person("helena"), person("admin")
    assert list(postmortems_visible(viewer.user)) == [postmortem]
    assert not postmortems_visible(stranger.user).exists()
    assert postmortem_detail(postmortem_id=postmortem.pk, user=stranger.user) is None
    assert postmortems_visible(admin.user).exists()
    assert postmortem_of_incident(incident=incident, user=viewer.user) == postmortem
    assert postmortem_of_incident(incident=incident, user=stranger.user) is None
    assert [can_edit_postmortem(p.user, postmortem) for p in (viewer, joao, stranger)] == [
        False,
        True,
        False,
    ]
    assert can_start_postmortem(joao.user, [incident])
    assert not can_start_postmortem(viewer.user, [incident])
    assert not can_start_postmortem(stranger.user, [incident])
    assert not can_start_postmortem(joao.user, [])
    sre = Team.objects.get(name="Platform SRE")
    assert [can_manage_postmortem_settings(p.user, sre) for p in (joao, helena, admin)] == [
        False,
        True,
        True,
    ]

    assert not can_publish(helena.user, postmortem)  # a draft
    postmortem_request_review(postmortem=postmortem, by=joao, now=NOW, reviewers=[person("rita")])
    assert can_review(person("rita").user, postmortem) and not can_review(joao.user, postmortem)
    assert can_publish(helena.user, postmortem) and not can_publish(joao.user, postmortem)
    postmortem_approve(postmortem=postmortem, by=person("rita"), now=NOW)
    assert can_publish(joao.user, postmortem) and not can_publish(viewer.user, postmortem)


@pytest.mark.django_db
def test_the_detail_takes_the_same_queries_whatever_the_size_of_the_timeline(demo, workers):
    postmortem, _ = started(workers)
    user = person("joao").user
    with CaptureQueriesContext(connection) as small:
        detail = postmortem_detail(postmortem_id=postmortem.pk, user=user)
        _read_all(detail)
    PostmortemEntry.objects.bulk_create(
        PostmortemEntry(postmortem=postmortem, at=T0, kind="manual", text=f"Line {n}")
        for n in range(200)
    )
    for n in range(20):
        action_item_create(
            postmortem=postmortem, by=None, now=NOW, title=f"Item {n}", owner=person("mei")
        )
    postmortem_request_review(
        postmortem=postmortem, by=None, now=NOW, reviewers=[person("rita"), person("mei")]
    )
    with CaptureQueriesContext(connection) as large:
        detail = postmortem_detail(postmortem_id=postmortem.pk, user=user)
        shown = _read_all(detail)
    assert shown["entries"] > 200 and shown["items"] == 20 and shown["reviewers"] == 2
    assert len(large) == len(small) == 6


def _read_all(detail) -> dict:
    entries = [(e.text, e.incident and e.incident.number, e.added_by) for e in detail.entries.all()]
    items = [(i.title, i.owner and i.owner.display_name) for i in detail.action_items.all()]
    reviewers = [r.person.display_name for r in detail.reviewers.all()]
    incidents = [(i.number, i.service.name) for i in detail.incidents.all()]
    sections = [s.heading for s in detail.sections.all()]
    assert detail.team.name and incidents and sections
    return {"entries": len(entries), "items": len(items), "reviewers": len(reviewers)}


@pytest.mark.django_db
def test_the_list_filters_by_team_and_status_and_counts(demo, workers, elsewhere):
    postmortem, _ = started(workers)
    action_item_create(postmortem=postmortem, by=None, now=NOW, title="Open one")
    done = action_item_create(postmortem=postmortem, by=None, now=NOW, title="Done one")
    action_item_update(item=done, by=None, now=NOW, status="done")
    user = person("joao").user
    (row,) = postmortem_list(user=user, status="draft")
    assert (row.incident_count, row.open_action_count) == (1, 1)
    assert not postmortem_list(user=user, status="published").exists()
    assert not postmortem_list(user=user, team=Team.objects.get(name="Payments")).exists()


@pytest.mark.django_db
def test_critical_incidents_resolved_without_a_postmortem_are_listed_when_the_policy_says_so(
    demo, workers
):
    sre = Team.objects.get(name="Platform SRE")
    user = person("joao").user
    covered = incident_with_record(workers, key="a")
    owed = incident_with_record(workers, key="b", at=T0 + timedelta(minutes=20))
    incident_with_record(workers, key="c", at=T0 + timedelta(minutes=40), severity="warning")
    fire(key="still-open", at=T0 + timedelta(minutes=50))
    postmortem_start(incidents=[covered], by=None, now=NOW)
    assert not incidents_needing_postmortem(user=user).exists()  # the policy is off
    postmortem_settings_update(team=sre, by=None, now=NOW, required_for_critical=True)
    assert list(incidents_needing_postmortem(user=user)) == [owed]
    assert list(incidents_needing_postmortem(user=user, team=sre)) == [owed]
    assert Incident.objects.filter(severity="critical").count() == 3


@pytest.mark.django_db
def test_an_item_is_overdue_from_the_day_after_its_due_date_where_its_owner_lives(
    demo, workers, frozen_now
):
    postmortem, _ = started(workers)
    mei, tiago = person("mei"), person("tiago")  # Singapore and Lisbon
    due = date(2027, 1, 20)
    singapore = action_item_create(
        postmortem=postmortem, by=None, now=NOW, title="A", owner=mei, due_on=due
    )
    lisbon = action_item_create(
        postmortem=postmortem, by=None, now=NOW, title="B", owner=tiago, due_on=due
    )
    finished = action_item_create(
        postmortem=postmortem, by=None, now=NOW, title="C", owner=mei, due_on=due
    )
    action_item_update(item=finished, by=None, now=NOW, status="done")
    action_item_create(postmortem=postmortem, by=None, now=NOW, title="D", owner=mei)
    # 2027-01-20 20:00 UTC: already the 21st in Singapore, still the 20th in Lisbon.
    frozen_now(T0.replace(day=20, hour=20))
    assert list(action_items_overdue()) == [singapore]
    assert list(action_items_overdue(today_of=lambda owner: date(2027, 1, 21))) == [
        singapore,
        lisbon,
    ]
    assert list(action_items_overdue(team=Team.objects.get(name="Platform SRE"))) == [singapore]
    assert [i.title for i in action_items_of_team(team=postmortem.team)] == ["A", "B", "D", "C"]
    assert ActionItem.objects.count() == 4
