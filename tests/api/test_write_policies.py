"""Writing escalation policies through the API: a policy with its steps and targets is saved
whole or not at all, names only its own team's people and schedules, and every change moves its
version so that the next incident pages the new first target."""

import pytest

from incidents.models import EscalationPolicy, EscalationStep, EscalationTarget, Page, Service
from incidents.services import engine
from incidents.services.declare import incident_declare
from oncall import clock
from tests.api.third_team import green_team

pytestmark = pytest.mark.django_db

POLICIES = "/api/v1/escalation-policies/"
FORBIDDEN = [("responder", "admin"), ("admin", "respond"), ("admin", "read"), ("viewer", "read")]


def person(who) -> dict:
    return {"kind": "person", "person": who.pk}


def policy_body(world, steps=None, **extra) -> dict:
    steps = (
        steps
        if steps is not None
        else [
            {"escalate_after_minutes": 10, "targets": [person(world.people["viewer"])]},
            {
                "escalate_after_minutes": 15,
                "targets": [
                    {"kind": "schedule", "schedule": world.schedule.pk},
                    {"kind": "team_all"},
                ],
            },
        ]
    )
    return {"team": world.team.pk, "name": "night", "repeat": 1, "steps": steps, **extra}


def fields_of(answer) -> dict:
    assert answer.status_code == 400, answer.content
    assert answer.json()["error"]["code"] == "invalid"
    return answer.json()["error"]["fields"]


def stored() -> tuple[int, int, int]:
    return (
        EscalationPolicy.objects.count(),
        EscalationStep.objects.count(),
        EscalationTarget.objects.count(),
    )


def paged_first(world) -> set:
    """Declare an incident on the world's service, fire its first step: who is paged."""
    incident = incident_declare(service=world.service, title="Lag", now=clock.now())
    engine.escalation_fire(incident_id=incident.pk, now=clock.now())
    return {page.person for page in Page.objects.filter(incident=incident)}


def test_a_team_admin_creates_a_policy_with_its_steps_and_targets(worlds, api):
    red, _ = worlds
    answer = api().post(POLICIES, policy_body(red, description="Out of hours"))
    assert answer.status_code == 201, answer.json()
    made = answer.json()
    assert made["name"] == "night" and made["team"]["id"] == red.team.pk and made["repeat"] == 1
    first, second = made["steps"]
    assert first["position"] == 0 and first["escalate_after_minutes"] == 10
    assert first["targets"] == [
        {
            "kind": "person",
            "person": {"id": red.people["viewer"].pk, "name": "red viewer"},
            "schedule": None,
            "team": None,
        }
    ]
    assert [t["kind"] for t in second["targets"]] == ["schedule", "team_all"]
    assert second["targets"][1]["team"] == {"id": red.team.pk, "name": "Red"}  # its own team
    policy = EscalationPolicy.objects.get(pk=made["id"])
    assert policy.version > 0 and made["version"] == policy.version
    assert list(policy.steps.values_list("position", "escalate_after_minutes")) == [
        (0, 10),
        (1, 15),
    ]


def test_a_policy_whose_third_step_is_wrong_stores_nothing(worlds, api):
    red, blue = worlds
    before = stored()
    steps = [
        {"escalate_after_minutes": 5, "targets": [person(red.people["admin"])]},
        {"escalate_after_minutes": 5, "targets": [person(red.people["responder"])]},
        {"escalate_after_minutes": 5, "targets": [person(blue.people["admin"])]},
    ]
    fields = fields_of(api().post(POLICIES, policy_body(red, steps=steps)))
    assert fields == {"steps[2].targets[0].person": ["There is no such person in your teams."]}
    assert stored() == before


@pytest.mark.parametrize(
    "steps, field, words",
    [
        ([], "steps", "at least one step"),
        ([{"escalate_after_minutes": 5, "targets": []}], "steps[0].targets", "at least one"),
        (
            [{"escalate_after_minutes": 5, "targets": [{"kind": "person"}]}],
            "steps[0].targets[0].person",
            "Name the person",
        ),
        (
            [{"escalate_after_minutes": 5, "targets": [{"kind": "pager"}]}],
            "steps[0].targets[0].kind",
            "not a valid choice",
        ),
        (
            [{"escalate_after_minutes": 0, "targets": [{"kind": "team_all"}]}] * 2,
            "steps[0].escalate_after_minutes",
            "at least 1 minute",
        ),
        (
            [{"escalate_after_minutes": 5, "targets": [{"kind": "team_all"}] * 21}],
            "steps[0].targets",
            "20",
        ),
        ([{"escalate_after_minutes": 5, "targets": [{"kind": "team_all"}]}] * 21, "steps", "20"),
    ],
)
def test_a_bad_step_is_refused_naming_where_it_is(worlds, api, steps, field, words):
    red, _ = worlds
    before = stored()
    fields = fields_of(api().post(POLICIES, policy_body(red, steps=steps)))
    assert field in fields and words in fields[field][0], fields
    assert stored() == before


def test_targets_must_be_of_the_policys_team(worlds, api):
    red, blue = worlds
    green = green_team(red)  # red's admin is green's admin too: green is visible, not red's
    before = stored()
    cases = [
        (person(green.member), "person", "Gil Green is not a member of the team."),
        (
            {"kind": "schedule", "schedule": blue.schedule.pk},
            "schedule",
            "There is no such schedule in your teams.",
        ),
        (
            {"kind": "schedule", "schedule": green.schedule.pk},
            "schedule",
            "There is no such schedule in the team.",
        ),
        ({"kind": "team_all", "team": green.team.pk}, "team", "A policy pages its own team"),
        ({"kind": "team_all", "team": blue.team.pk}, "team", "There is no such team"),
        (
            {"kind": "person", "person": red.people["admin"].pk, "schedule": red.schedule.pk},
            "kind",
            "A person target names a person, and nothing else",
        ),
    ]
    for target, field, words in cases:
        steps = [{"escalate_after_minutes": 5, "targets": [target]}]
        fields = fields_of(api().post(POLICIES, policy_body(red, steps=steps)))
        assert fields[f"steps[0].targets[0].{field}"][0].startswith(words), fields
    assert stored() == before


def test_another_teams_policies_do_not_exist_for_writes(worlds, api):
    red, blue = worlds
    client = api()
    fields = fields_of(client.post(POLICIES, policy_body(blue)))
    assert fields["team"] == ["There is no such team in your teams."]
    assert fields["steps[0].targets[0].person"] == ["There is no such person in your teams."]
    url = f"{POLICIES}{blue.policy.pk}/"
    for answer in (
        client.patch(url, {"name": "mine"}),
        client.put(url, policy_body(red)),
        client.delete(url),
    ):
        assert answer.status_code == 404
        assert answer.json()["error"] == {"code": "not_found", "message": "Not found."}
    blue.policy.refresh_from_db()
    assert blue.policy.name == "blue-policy" and blue.policy.steps.count() == 1


@pytest.mark.parametrize("role, scope", FORBIDDEN)
def test_only_a_team_admin_with_an_admin_token_writes_policies(worlds, api, role, scope):
    red, _ = worlds
    caller = api(role, scope)
    url = f"{POLICIES}{red.policy.pk}/"
    before = stored()
    version = EscalationPolicy.objects.get(pk=red.policy.pk).version
    for answer in (
        caller.post(POLICIES, policy_body(red)),
        caller.patch(url, {"name": "changed"}),
        caller.put(url, policy_body(red)),
        caller.delete(url),
    ):
        assert answer.status_code == 403, answer.json()
        assert "admin role" in answer.json()["error"]["message"]
    red.policy.refresh_from_db()
    assert stored() == before and red.policy.version == version


def test_put_replaces_the_steps_whole_and_patch_keeps_them_unless_given(worlds, api):
    red, _ = worlds
    client = api()
    url = f"{POLICIES}{red.policy.pk}/"
    versions = [EscalationPolicy.objects.get(pk=red.policy.pk).version]

    put = client.put(url, policy_body(red, name="red-policy"))
    assert put.status_code == 200, put.json()
    assert [len(s["targets"]) for s in put.json()["steps"]] == [1, 2]
    versions.append(put.json()["version"])

    renamed = client.patch(url, {"name": "red-escalation", "description": "Day and night"})
    assert renamed.status_code == 200 and len(renamed.json()["steps"]) == 2  # kept
    versions.append(renamed.json()["version"])

    one_step = [{"escalate_after_minutes": 3, "targets": [person(red.people["admin"])]}]
    replaced = client.patch(url, {"steps": one_step})
    assert replaced.status_code == 200
    assert [s["escalate_after_minutes"] for s in replaced.json()["steps"]] == [3]
    versions.append(replaced.json()["version"])
    assert versions == sorted(set(versions))  # every change moved it on
    policy = EscalationPolicy.objects.get(pk=red.policy.pk)
    assert (policy.name, policy.version) == ("red-escalation", versions[-1])
    assert EscalationStep.objects.filter(policy=policy).count() == 1


def test_a_patch_that_would_break_the_policy_changes_nothing(worlds, api):
    red, _ = worlds
    client = api()
    url = f"{POLICIES}{red.policy.pk}/"
    EscalationStep.objects.filter(policy=red.policy).update(escalate_after_minutes=0)
    version = EscalationPolicy.objects.get(pk=red.policy.pk).version
    # Repeats need every step to wait at least a minute; the one step waits none.
    assert "steps" in fields_of(client.patch(url, {"repeat": 2, "name": "renamed"}))
    steps = [{"escalate_after_minutes": 5, "targets": [{"kind": "bogus"}]}]
    assert fields_of(client.put(url, policy_body(red, steps=steps, name="renamed")))
    policy = EscalationPolicy.objects.get(pk=red.policy.pk)
    assert (policy.name, policy.repeat, policy.version) == ("red-policy", 0, version)
    assert policy.steps.get().targets.get().schedule == red.schedule


def test_a_policy_never_moves_to_another_team(worlds, api):
    red, _ = worlds
    green = green_team(red)
    fields = fields_of(api().patch(f"{POLICIES}{red.policy.pk}/", {"team": green.team.pk}))
    assert "stays in its team" in fields["team"][0]


def test_deleting_a_policy_services_use_is_refused_naming_them(worlds, api):
    red, _ = worlds
    client = api()
    answer = client.delete(f"{POLICIES}{red.policy.pk}/")
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "conflict"
    assert "red-cdn" in answer.json()["error"]["message"]
    assert EscalationPolicy.objects.filter(pk=red.policy.pk).exists()
    # Unused, it goes with its steps.
    Service.objects.filter(pk=red.service.pk).update(escalation_policy=None)
    assert client.delete(f"{POLICIES}{red.policy.pk}/").status_code == 204
    assert not EscalationStep.objects.filter(policy_id=red.policy.pk).exists()


def test_an_incident_after_a_change_through_the_api_pages_the_new_first_target(worlds, api):
    red, _ = worlds
    on_call = {red.people["responder"], red.people["admin"]}
    # The policy pages the schedule's on-call; its snapshot is now remembered by this process.
    assert paged_first(red) <= on_call and paged_first(red)
    viewer = red.people["viewer"]
    steps = [{"escalate_after_minutes": 5, "targets": [person(viewer)]}]
    answer = api().patch(f"{POLICIES}{red.policy.pk}/", {"steps": steps})
    assert answer.status_code == 200, answer.json()
    assert paged_first(red) == {viewer}
