"""Review: draft -> in review -> published, with reviewers of the team; published is final."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from incidents.models import Postmortem
from incidents.services.postmortems import (
    InvalidTransition,
    NotAReviewer,
    PostmortemReadOnly,
    postmortem_approve,
    postmortem_publish,
    postmortem_request_review,
    postmortem_return_to_draft,
)
from oncall.models import Membership, Person, Team

from .conftest import T0
from .postmortems import person, started

NOW = T0 + timedelta(hours=2)
Status = Postmortem.Status


@pytest.mark.django_db
def test_draft_review_approvals_then_publish(demo, workers):
    postmortem, _ = started(workers)
    joao, rita, mei = person("joao"), person("rita"), person("mei")
    postmortem = postmortem_request_review(
        postmortem=postmortem, by=joao, now=NOW, reviewers=[rita, mei, rita]
    )
    assert postmortem.status == Status.IN_REVIEW
    assert {r.person for r in postmortem.reviewers.all()} == {rita, mei}
    postmortem_approve(postmortem=postmortem, by=rita, now=NOW)
    with pytest.raises(InvalidTransition) as early:
        postmortem_publish(postmortem=postmortem, by=joao, now=NOW)
    assert "Mei Chen" in str(early.value) and "Rita" not in str(early.value)
    postmortem_approve(postmortem=postmortem, by=mei, now=NOW + timedelta(minutes=1))
    postmortem = postmortem_publish(postmortem=postmortem, by=joao, now=NOW + timedelta(hours=1))
    assert postmortem.status == Status.PUBLISHED
    assert postmortem.published_at == NOW + timedelta(hours=1)
    postmortem.refresh_from_db()
    assert postmortem.status == Status.PUBLISHED


@pytest.mark.django_db
def test_a_team_admin_may_publish_before_every_approval(demo, workers):
    postmortem, _ = started(workers)
    helena = person("helena")
    postmortem_request_review(postmortem=postmortem, by=helena, now=NOW, reviewers=[person("mei")])
    assert postmortem_publish(postmortem=postmortem, by=helena, now=NOW).status == Status.PUBLISHED


@pytest.mark.django_db
def test_transitions_out_of_order_are_refused(demo, workers):
    postmortem, _ = started(workers)
    helena, mei = person("helena"), person("mei")
    with pytest.raises(InvalidTransition) as refused:
        postmortem_publish(postmortem=postmortem, by=helena, now=NOW)
    assert "draft" in str(refused.value)
    with pytest.raises(InvalidTransition):
        postmortem_approve(postmortem=postmortem, by=mei, now=NOW)
    with pytest.raises(InvalidTransition):
        postmortem_return_to_draft(postmortem=postmortem, by=helena, now=NOW)
    postmortem_request_review(postmortem=postmortem, by=helena, now=NOW, reviewers=[mei])
    with pytest.raises(InvalidTransition):
        postmortem_request_review(postmortem=postmortem, by=helena, now=NOW, reviewers=[mei])
    postmortem_publish(postmortem=postmortem, by=helena, now=NOW)
    for attempt in (
        lambda: postmortem_return_to_draft(postmortem=postmortem, by=helena, now=NOW),
        lambda: postmortem_request_review(
            postmortem=postmortem, by=helena, now=NOW, reviewers=[mei]
        ),
        lambda: postmortem_approve(postmortem=postmortem, by=mei, now=NOW),
        lambda: postmortem_publish(postmortem=postmortem, by=helena, now=NOW),
    ):
        with pytest.raises(PostmortemReadOnly):
            attempt()


@pytest.mark.django_db
def test_reviewers_are_people_of_the_team_and_at_least_one(demo, workers, elsewhere):
    postmortem, _ = started(workers)
    helena = person("helena")
    outsider = Person.objects.create(
        user=type(helena.user).objects.create(username="olga"), display_name="Olga Payments"
    )
    Membership.objects.create(team=Team.objects.get(name="Payments"), person=outsider)
    with pytest.raises(ValidationError) as refused:
        postmortem_request_review(
            postmortem=postmortem, by=helena, now=NOW, reviewers=[person("mei"), outsider]
        )
    assert refused.value.message_dict == {
        "reviewers": ["Olga Payments is not in the postmortem's team."]
    }
    with pytest.raises(ValidationError) as refused:
        postmortem_request_review(postmortem=postmortem, by=helena, now=NOW, reviewers=[])
    assert "reviewers" in refused.value.message_dict
    postmortem.refresh_from_db()
    assert postmortem.status == Status.DRAFT and not postmortem.reviewers.exists()


@pytest.mark.django_db
def test_only_a_requested_reviewer_approves(demo, workers):
    postmortem, _ = started(workers)
    helena, mei = person("helena"), person("mei")
    postmortem_request_review(postmortem=postmortem, by=helena, now=NOW, reviewers=[mei])
    with pytest.raises(NotAReviewer) as refused:
        postmortem_approve(postmortem=postmortem, by=helena, now=NOW)
    assert "Helena Duarte was not asked" in str(refused.value)
    assert not postmortem.reviewers.filter(approved_at__isnull=False).exists()


@pytest.mark.django_db
def test_back_to_draft_needs_the_approvals_again(demo, workers):
    postmortem, _ = started(workers)
    joao, mei, rita = person("joao"), person("mei"), person("rita")
    postmortem_request_review(postmortem=postmortem, by=joao, now=NOW, reviewers=[mei, rita])
    postmortem_approve(postmortem=postmortem, by=mei, now=NOW)
    postmortem = postmortem_return_to_draft(postmortem=postmortem, by=joao, now=NOW)
    assert postmortem.status == Status.DRAFT
    assert not postmortem.reviewers.filter(approved_at__isnull=False).exists()
    postmortem_request_review(postmortem=postmortem, by=joao, now=NOW, reviewers=[mei])
    assert [r.person for r in postmortem.reviewers.all()] == [mei]
    with pytest.raises(InvalidTransition):
        postmortem_publish(postmortem=postmortem, by=joao, now=NOW)
