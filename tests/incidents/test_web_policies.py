"""The escalation policy pages: the steps in words, an editor that adds, moves and removes steps
and targets with plain POSTs, saves whole or shows its errors by step and stores nothing, another
team's policy a 404, a responder's POST a 403, a delete refused while services use the policy,
and a change that the next incident is paged by."""

from __future__ import annotations

import re

import pytest

from incidents.models import EscalationPolicy, Incident, Page, Service
from incidents.services.engine import escalation_run
from incidents.services.integrations import integration_create
from oncall import clock
from oncall.models import Membership, Person, Schedule

from .test_web_config import browser, someone

pytestmark = pytest.mark.django_db


@pytest.fixture
def policy(sre):
    return EscalationPolicy.objects.get(team=sre, name="Platform SRE default")


def form_of(policy: EscalationPolicy) -> dict[str, str]:
    """Return the editor's fields as the page fills them for `policy`."""
    data = {"name": policy.name, "repeat": str(policy.repeat), "description": policy.description}
    for i, step in enumerate(policy.steps.order_by("position")):
        data[f"step-{i}-minutes"] = str(step.escalate_after_minutes)
        for j, target in enumerate(step.targets.all()):
            kind = {"person": "person", "schedule": "schedule"}.get(target.kind, "team")
            data[f"step-{i}-target-{j}-kind"] = target.kind
            data[f"step-{i}-target-{j}-subject"] = f"{kind}:{target.subject_id}"
    return data


def steps_of(policy: EscalationPolicy) -> list[tuple[int, list[str]]]:
    return [
        (step.escalate_after_minutes, [str(t.subject) for t in step.targets.all()])
        for step in policy.steps.order_by("position")
    ]


def test_the_list_shows_each_policy_in_words_with_its_services(manager, policy, elsewhere):
    page = browser(manager).get("/policies/").content.decode()
    assert "Step 1, at once: Primary&#x27;s on-call" in page
    assert "Step 2, after 5 min: Secondary&#x27;s on-call" in page
    assert "Then after 15 min, all again, 2 more times" in page
    assert "Used by:" in page and "playback" in page
    assert "Payments default" not in page  # another team's
    assert "New policy" in page


def test_the_editor_shows_the_policy_and_its_buttons_change_only_the_page(manager, policy):
    client = browser(manager)
    page = client.get(f"/policies/{policy.pk}/").content.decode()
    assert 'value="5"' in page and "Escalate after minutes" in page
    assert "Move step 2 up" in page and "Remove target 1 of step 3" in page
    before = steps_of(policy)
    version = policy.version

    response = client.post(f"/policies/{policy.pk}/", form_of(policy) | {"op": "add-step"})
    assert response.status_code == 200
    assert "Step 4" in response.content.decode()
    response = client.post(f"/policies/{policy.pk}/", form_of(policy) | {"op": "down-0"})
    page = response.content.decode()
    secondary = Schedule.objects.get(name="Secondary")
    first_subject = re.search(r'id="step-0-target-0-subject".*?selected>([^<]*)<', page, re.S)
    assert first_subject.group(1) == "Secondary&#x27;s on-call"
    assert secondary  # moved up, on the page only
    policy.refresh_from_db()
    assert steps_of(policy) == before and policy.version == version


def test_saving_moves_steps_and_adds_a_person_target(manager, policy, sre):
    client = browser(manager)
    data = form_of(policy)
    person = Membership.objects.filter(team=sre).exclude(person=sre.manager).first().person
    # Swap steps 1 and 2 as the page would, then add a person to the new step 1.
    response = client.post(f"/policies/{policy.pk}/", data | {"op": "down-0"})
    assert response.status_code == 200
    swapped = dict(data)
    for key in ("minutes", "target-0-kind", "target-0-subject"):
        first, second = f"step-0-{key}", f"step-1-{key}"
        swapped[first], swapped[second] = data[second], data[first]
    swapped |= {"step-0-target-1-kind": "person", "step-0-target-1-subject": f"person:{person.pk}"}
    response = client.post(f"/policies/{policy.pk}/", swapped | {"op": "save"})
    assert response.status_code == 302 and response.url == f"/policies/{policy.pk}/"
    policy.refresh_from_db()
    assert steps_of(policy)[0] == (10, ["Secondary", str(person)])
    assert steps_of(policy)[1] == (5, ["Primary"])


def test_errors_are_shown_by_step_and_nothing_is_stored(manager, policy, elsewhere):
    client = browser(manager)
    before, version = steps_of(policy), policy.version
    stranger = Person.objects.exclude(memberships__team=policy.team).first() or someone(
        "stranger", "responder", elsewhere.team
    )
    data = form_of(policy)
    for key in [k for k in data if k.startswith("step-1-target-")]:
        del data[key]  # step 2 loses its only target
    data |= {
        "name": "",
        "step-2-minutes": "soon",
        "step-0-target-0-kind": "person",
        "step-0-target-0-subject": f"person:{stranger.pk}",  # not a member: not offered
    }
    response = client.post(f"/policies/{policy.pk}/", data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "This field is required." in page  # the name, in place
    assert "Step 1, target 1: choose one of the people, schedules or the team listed." in page
    assert "Step 3: give the minutes to wait as a whole number, 0 to 1440." in page

    # Form-valid, but the service refuses: errors come back onto the step they name.
    data = form_of(policy)
    for key in [k for k in data if k.startswith("step-1-target-")]:
        del data[key]
    response = client.post(f"/policies/{policy.pk}/", data)
    assert response.status_code == 400
    assert "Step 2: a step needs at least one target." in response.content.decode()
    policy.refresh_from_db()
    assert steps_of(policy) == before and policy.version == version


def test_a_new_policy_is_created_whole(manager, sre):
    client = browser(manager)
    page = client.get(f"/policies/new/?team={sre.pk}").content.decode()
    assert "New escalation policy" in page and 'name="step-0-minutes"' in page
    data = {
        "team": sre.pk,
        "name": "Night desk",
        "repeat": "0",
        "description": "",
        "step-0-minutes": "0",
        "step-0-target-0-kind": "team_round_robin",
        "step-0-target-0-subject": f"team:{sre.pk}",
    }
    bad = data | {"step-0-target-0-kind": "person"}  # a person kind with the team chosen
    response = client.post("/policies/new/", bad)
    assert response.status_code == 400
    assert "Step 1, target 1: this kind of target pages a person: choose one." in (
        response.content.decode()
    )
    assert not EscalationPolicy.objects.filter(name="Night desk").exists()
    response = client.post("/policies/new/", data)
    created = EscalationPolicy.objects.get(name="Night desk")
    assert response.status_code == 302 and response.url == f"/policies/{created.pk}/"
    assert created.team == sre and steps_of(created) == [(0, ["Platform SRE"])]


def test_delete_is_refused_while_services_use_the_policy(manager, policy, sre):
    client = browser(manager)
    response = client.post(f"/policies/{policy.pk}/delete/", follow=True)
    page = response.content.decode()
    assert "Nothing was deleted." in page and "playback" in page
    assert EscalationPolicy.objects.filter(pk=policy.pk).exists()
    Service.objects.filter(escalation_policy=policy).update(escalation_policy=None)
    response = client.post(f"/policies/{policy.pk}/delete/")
    assert response.status_code == 302 and response.url == "/policies/"
    assert not EscalationPolicy.objects.filter(pk=policy.pk).exists()


def test_another_teams_policy_is_a_404(manager, elsewhere):
    client = browser(manager)
    other = elsewhere.escalation_policy
    assert client.get(f"/policies/{other.pk}/").status_code == 404
    assert client.post(f"/policies/{other.pk}/", {"name": "x"}).status_code == 404
    assert client.post(f"/policies/{other.pk}/delete/").status_code == 404
    assert (
        client.get(f"/policies/new/?team={other.team_id}").content.decode().count("Payments") == 0
    )


def test_a_responder_reads_the_policy_without_controls_and_is_refused_on_post(sre, policy):
    responder = someone("quentin-responder", "responder", sre)
    client = browser(responder)
    page = client.get(f"/policies/{policy.pk}/").content.decode()
    assert "Step 1, at once" in page
    assert "Save policy" not in page and "Delete policy" not in page
    assert "New policy" not in client.get("/policies/").content.decode()
    before = steps_of(policy)
    assert client.post(f"/policies/{policy.pk}/", form_of(policy)).status_code == 403
    assert client.post(f"/policies/{policy.pk}/delete/").status_code == 403
    assert client.get("/policies/new/").status_code == 403
    assert steps_of(policy) == before


def test_the_next_incident_pages_the_new_first_target(manager, policy, sre):
    person = Membership.objects.filter(team=sre).exclude(person=sre.manager).first().person
    data = form_of(policy) | {
        "step-0-target-0-kind": "person",
        "step-0-target-0-subject": f"person:{person.pk}",
    }
    assert browser(manager).post(f"/policies/{policy.pk}/", data).status_code == 302
    service = Service.objects.get(name="playback")
    assert service.escalation_policy == policy
    integration, _ = integration_create(service=service, kind="webhook")
    assert browser(manager).post(f"/integrations/{integration.pk}/test/").status_code == 200
    incident = Incident.objects.get(service=service)
    escalation_run(incident_id=incident.pk, now=clock.now())
    first = Page.objects.filter(incident=incident, step=0)
    assert first.exists() and {p.person for p in first} == {person}


def test_the_nav_links_the_policies(manager):
    page = browser(manager).get("/policies/").content.decode()
    assert '<a href="/policies/" aria-current="page">Policies</a>' in page


def test_a_button_that_changes_the_page_keeps_what_was_typed_and_checks_nothing(manager, policy):
    data = form_of(policy) | {"name": "", "step-0-minutes": "7"}
    response = browser(manager).post(f"/policies/{policy.pk}/", data | {"op": "remove-step-1"})
    page = response.content.decode()
    assert response.status_code == 200 and "This field is required." not in page
    assert 'value="7"' in page and "Step 3" not in page
    policy.refresh_from_db()
    assert policy.name == "Platform SRE default" and policy.steps.count() == 3
