"""Teams and memberships through the API: a superuser creates a team, its admins change it,
say who is in it with which role, and delete it once it holds nothing; a team never loses its
last admin, nor a member its rotas and policies still page; another team does not exist."""

import pytest
from django.contrib.auth import get_user_model

from incidents.models import EscalationStep, EscalationTarget
from oncall.models import Membership, Person, Team
from oncall.services import person_create, team_member_set
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db

TEAMS = "/api/v1/teams/"


@pytest.fixture
def root(worlds):
    """A superuser with an on-call profile and an admin token."""
    person = person_create(username="root", display_name="Root")
    get_user_model().objects.filter(pk=person.user_id).update(is_superuser=True, is_staff=True)
    return client_for(Person.objects.get(pk=person.pk), "admin")


def error_of(answer) -> dict:
    return answer.json()["error"]


def members_of(team) -> dict[str, str]:
    return dict(team.memberships.values_list("person__display_name", "role"))


# Teams


def test_a_superuser_creates_a_team_and_becomes_its_admin(worlds, root):
    answer = root.post(TEAMS, {"name": "Edge Platform", "slack_channel": "C0EDGE"})
    assert answer.status_code == 201, answer.json()
    made = answer.json()
    assert made["slug"] == "edge-platform" and made["slack_channel"] == "C0EDGE"
    assert made["members"] == [
        {"person": {"id": made["members"][0]["person"]["id"], "name": "Root"}, "role": "admin"}
    ]
    assert root.get(f"{TEAMS}{made['id']}/").status_code == 200


def test_only_a_superuser_creates_teams_and_a_bad_one_is_not_stored(worlds, api, root):
    before = Team.objects.count()
    for role, scope in [("admin", "admin"), ("responder", "respond")]:
        answer = api(role, scope).post(TEAMS, {"name": "Mine"})
        assert answer.status_code == 403 and "superuser" in error_of(answer)["message"]
    for body, field in [
        ({"name": "Red"}, "name"),  # taken
        ({"name": "Crimson", "slug": "red"}, "slug"),  # taken
        ({"name": "!!!"}, "slug"),  # nothing to make a slug of
        ({"name": "Crimson", "slug": "not a slug"}, "slug"),
        ({"slug": "crimson"}, "name"),
        ({"name": "Crimson", "slack_channel": "C" * 33}, "slack_channel"),
    ]:
        answer = root.post(TEAMS, body)
        assert answer.status_code == 400, body
        assert field in error_of(answer)["fields"], (body, answer.json())
    assert Team.objects.count() == before


def test_a_team_admin_changes_the_team_and_names_a_member_its_manager(worlds, api):
    red, _ = worlds
    client = api("admin", "admin")
    path = f"{TEAMS}{red.team.pk}/"
    responder = red.people["responder"]
    answer = client.patch(path, {"slack_channel": "C0RED", "manager": responder.pk})
    assert answer.status_code == 200, answer.json()
    assert answer.json()["manager"] == {"id": responder.pk, "name": "red responder"}
    replaced = client.put(path, {"name": "Red Team", "slug": "red-team"})
    assert replaced.status_code == 200
    red.team.refresh_from_db()
    assert (red.team.name, red.team.slug, red.team.slack_channel, red.team.manager) == (
        "Red Team",
        "red-team",
        "C0RED",
        responder,
    )
    assert client.patch(path, {"manager": None}).json()["manager"] is None


def test_a_bad_team_change_names_the_field_and_changes_nothing(worlds, api, root):
    red, blue = worlds
    path = f"{TEAMS}{red.team.pk}/"
    client = api("admin", "admin")
    for body, field, words in [
        ({"name": "Blue"}, "name", "already exists"),
        ({"slug": "Not A Slug"}, "slug", "valid"),
        ({"manager": blue.people["admin"].pk}, "manager", "There is no such person"),
        ({"manager": "someone"}, "manager", "id"),
    ]:
        answer = client.patch(path, body)
        assert answer.status_code == 400, body
        assert words in " ".join(error_of(answer)["fields"][field]), answer.json()
    whole = client.put(path, {"name": "Red again"})  # PUT gives the whole team
    assert whole.status_code == 400 and "slug" in error_of(whole)["fields"]
    # A superuser sees blue's admin, who is still not a member of red.
    outsider = root.patch(path, {"manager": blue.people["admin"].pk, "name": "Renamed"})
    assert outsider.status_code == 400
    assert error_of(outsider)["fields"]["manager"] == ["blue admin is not a member of the team."]
    red.team.refresh_from_db()
    assert (red.team.name, red.team.manager) == ("Red", None)


def test_only_the_teams_admin_changes_or_deletes_it(worlds, api):
    red, blue = worlds
    path = f"{TEAMS}{red.team.pk}/"
    for role, scope in [("responder", "admin"), ("admin", "respond"), ("admin", "read")]:
        client = api(role, scope)
        answer = client.patch(path, {"name": "Ours"})
        assert answer.status_code == 403 and "admin role" in error_of(answer)["message"]
        assert client.delete(path).status_code == 403
    for method in ("patch", "put", "delete"):
        answer = getattr(api("admin", "admin"), method)(f"{TEAMS}{blue.team.pk}/", {"name": "x"})
        assert answer.status_code == 404, method
    assert Team.objects.filter(name__in=["Red", "Blue"]).count() == 2


def test_a_team_is_deleted_only_once_it_holds_nothing(worlds, api, root):
    red, _ = worlds
    refused = api("admin", "admin").delete(f"{TEAMS}{red.team.pk}/")
    assert refused.status_code == 409
    message = error_of(refused)["message"]
    for held in ("the schedule red-primary", "the escalation policy red-policy", "red-cdn"):
        assert held in message
    assert Team.objects.filter(pk=red.team.pk).exists() and members_of(red.team)

    empty = root.post(TEAMS, {"name": "Short lived"}).json()
    assert root.delete(f"{TEAMS}{empty['id']}/").status_code == 204
    assert not Team.objects.filter(pk=empty["id"]).exists()
    assert not Membership.objects.filter(team_id=empty["id"]).exists()


# Memberships


@pytest.fixture
def gil(worlds):
    """Someone red's admin knows from a team they also administer, not yet in red."""
    red, _ = worlds
    green = Team.objects.create(name="Green", slug="green")
    team_member_set(team=green, person=red.people["admin"], role="admin")
    person = person_create(username="gil", display_name="Gil")
    team_member_set(team=green, person=person, role="responder")
    return person


def test_a_team_admin_adds_a_member_changes_their_role_and_removes_them(worlds, api, gil):
    red, _ = worlds
    client = api("admin", "admin")
    members = f"{TEAMS}{red.team.pk}/members/"
    added = client.post(members, {"person": gil.pk, "role": "viewer"})
    assert added.status_code == 201, added.json()
    assert added.json() == {"person": {"id": gil.pk, "name": "Gil"}, "role": "viewer"}
    promoted = client.patch(f"{members}{gil.pk}/", {"role": "admin"})
    assert promoted.status_code == 200 and promoted.json()["role"] == "admin"
    assert members_of(red.team)["Gil"] == "admin"
    assert client.delete(f"{members}{gil.pk}/").status_code == 204
    assert "Gil" not in members_of(red.team)
    viewer = red.people["viewer"]
    assert client.delete(f"{members}{viewer.pk}/").status_code == 204
    assert "red viewer" not in members_of(red.team)


def test_a_bad_membership_is_refused_and_nothing_changes(worlds, api, gil):
    red, blue = worlds
    client = api("admin", "admin")
    members = f"{TEAMS}{red.team.pk}/members/"
    before = members_of(red.team)
    for body, field, words in [
        ({"person": blue.people["admin"].pk}, "person", "There is no such person in your teams."),
        ({"person": red.people["viewer"].pk}, "person", "a member of the team already"),
        ({"person": gil.pk, "role": "owner"}, "role", "not a valid choice"),
        ({"role": "viewer"}, "person", "required"),
    ]:
        answer = client.post(members, body)
        assert answer.status_code == 400, body
        assert words in " ".join(error_of(answer)["fields"][field]), answer.json()
    bad_role = client.patch(f"{members}{red.people['viewer'].pk}/", {"role": "boss"})
    assert bad_role.status_code == 400 and "role" in error_of(bad_role)["fields"]
    assert members_of(red.team) == before


def test_the_last_admin_stays_and_people_still_paged_by_the_team_stay(worlds, api, gil):
    red, _ = worlds
    client = api("admin", "admin")
    members = f"{TEAMS}{red.team.pk}/members/"
    admin, responder, viewer = (red.people[r] for r in ("admin", "responder", "viewer"))
    for answer in (
        client.patch(f"{members}{admin.pk}/", {"role": "responder"}),
        client.delete(f"{members}{admin.pk}/"),
    ):
        assert answer.status_code == 409
        assert "red admin is the team's last admin" in error_of(answer)["message"]

    in_layer = client.delete(f"{members}{responder.pk}/")
    assert in_layer.status_code == 409
    assert "the layer red-primary / weekly" in error_of(in_layer)["message"]

    step = EscalationStep.objects.get(policy=red.policy)
    EscalationTarget.objects.create(step=step, kind="person", person=viewer)
    targeted = client.delete(f"{members}{viewer.pk}/")
    assert targeted.status_code == 409
    assert "the escalation policy red-policy" in error_of(targeted)["message"]
    assert members_of(red.team) == {
        "red admin": "admin",
        "red responder": "responder",
        "red viewer": "viewer",
    }

    client.post(members, {"person": gil.pk, "role": "admin"})
    assert client.patch(f"{members}{admin.pk}/", {"role": "responder"}).status_code == 200
    assert members_of(red.team)["red admin"] == "responder"


def test_only_the_teams_admin_manages_members_and_another_team_does_not_exist(worlds, api, gil):
    red, blue = worlds
    members = f"{TEAMS}{red.team.pk}/members/"
    viewer = red.people["viewer"]
    for role, scope in [("responder", "admin"), ("admin", "respond"), ("viewer", "read")]:
        client = api(role, scope)
        assert client.post(members, {"person": gil.pk}).status_code == 403
        assert client.patch(f"{members}{viewer.pk}/", {"role": "admin"}).status_code == 403
        assert client.delete(f"{members}{viewer.pk}/").status_code == 403
    client = api("admin", "admin")
    theirs = f"{TEAMS}{blue.team.pk}/members/"
    blue_viewer = blue.people["viewer"]
    assert client.post(theirs, {"person": gil.pk}).status_code == 404
    assert client.patch(f"{theirs}{blue_viewer.pk}/", {"role": "admin"}).status_code == 404
    assert client.delete(f"{theirs}{blue_viewer.pk}/").status_code == 404
    assert client.patch(f"{members}{gil.pk}/", {"role": "admin"}).status_code == 404  # not in
    assert members_of(red.team)["red viewer"] == "viewer"
    assert members_of(blue.team)["blue viewer"] == "viewer" and "Gil" not in members_of(blue.team)
