"""People through the API: a team admin creates a new hire straight into the team and archives
those who left (their token stops working and they are no longer paged); everyone changes their
own profile; nothing is half-saved; another team's people do not exist."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from incidents.models import EscalationStep, EscalationTarget, Page
from incidents.services import engine
from incidents.services.declare import incident_declare
from oncall import clock
from oncall.models import ApiToken, CalendarFeed, Membership, Override, Person
from oncall.services import calendar_feed_create, person_create, team_member_set
from tests.api.conftest import client_for, token_for

pytestmark = pytest.mark.django_db

PEOPLE = "/api/v1/people/"
NEW_HIRE = {
    "username": "nova",
    "name": "Nova Silva",
    "email": "nova@example.org",
    "time_zone": "America/Sao_Paulo",
    "locale": "pt-BR",
    "password": "a long passphrase 42",
    "role": "responder",
}


@pytest.fixture
def root(worlds):
    """A superuser with an on-call profile and an admin token."""
    person = person_create(username="root", display_name="Root")
    get_user_model().objects.filter(pk=person.user_id).update(is_superuser=True, is_staff=True)
    return client_for(Person.objects.get(pk=person.pk), "admin")


def error_of(answer) -> dict:
    return answer.json()["error"]


def test_a_team_admin_creates_a_new_hire_into_their_team(worlds, api):
    red, _ = worlds
    client = api("admin", "admin")
    answer = client.post(PEOPLE, {**NEW_HIRE, "team": red.team.pk})
    assert answer.status_code == 201, answer.json()
    made = answer.json()
    assert {k: made[k] for k in ("name", "username", "email", "time_zone", "locale")} == {
        "name": "Nova Silva",
        "username": "nova",
        "email": "nova@example.org",
        "time_zone": "America/Sao_Paulo",
        "locale": "pt-BR",
    }
    assert made["teams"] == [{"id": red.team.pk, "role": "responder"}]
    assert "password" not in made
    nova = Person.objects.get(pk=made["id"])
    assert nova.user.check_password("a long passphrase 42")
    assert made["id"] in [p["id"] for p in client.get(PEOPLE).json()["results"]]
    shown = api("viewer", "read").get(f"{PEOPLE}{made['id']}/").json()
    assert shown["email"] == "n•••@example.org"  # whole only for themselves and team admins


def test_a_superuser_may_create_someone_in_no_team(worlds, root):
    answer = root.post(PEOPLE, {"username": "script", "name": "Deploy bot"})
    assert answer.status_code == 201, answer.json()
    made = answer.json()
    assert made["teams"] == [] and made["active"] is True
    assert not Person.objects.get(pk=made["id"]).user.has_usable_password()
    root.post(
        "/api/v1/contact-methods/",
        {"person": made["id"], "kind": "email", "address": "bot@example.org", "verified": True},
    )
    assert root.get(f"{PEOPLE}{made['id']}/").status_code == 200  # a superuser sees everyone
    assert root.delete(f"{PEOPLE}{made['id']}/").status_code == 204
    assert root.get(f"{PEOPLE}{made['id']}/").json()["active"] is False  # the archived too


def test_a_bad_new_person_is_refused_and_nothing_is_stored(worlds, api):
    red, _ = worlds
    client = api("admin", "admin")
    before = (Person.objects.count(), get_user_model().objects.count())
    good = {**NEW_HIRE, "team": red.team.pk}
    for body, field, words in [
        ({**good, "time_zone": "Lisbon"}, "time_zone", "IANA"),
        ({**good, "locale": "portuguese!"}, "locale", "language tag"),
        ({**good, "username": "red-admin"}, "username", "already exists"),
        ({**good, "username": "no spaces"}, "username", "Enter a valid username"),
        ({**good, "password": "123"}, "password", "too short"),
        ({**good, "email": "nova"}, "email", "valid email"),
        ({**good, "role": "owner"}, "role", "not a valid choice"),
        ({k: v for k, v in good.items() if k != "team"}, "team", "Give the team"),
        ({k: v for k, v in good.items() if k != "name"}, "name", "required"),
    ]:
        answer = client.post(PEOPLE, body)
        assert answer.status_code == 400, body
        error = error_of(answer)
        assert error["code"] == "invalid" and words in " ".join(error["fields"][field]), error
    assert (Person.objects.count(), get_user_model().objects.count()) == before


def test_people_cannot_be_created_into_another_team_or_by_a_non_admin(worlds, api):
    red, blue = worlds
    before = Person.objects.count()
    other = api("admin", "admin").post(PEOPLE, {**NEW_HIRE, "team": blue.team.pk})
    assert other.status_code == 400
    assert error_of(other)["fields"]["team"] == ["There is no such team in your teams."]
    for role, scope in [("responder", "admin"), ("admin", "respond"), ("admin", "read")]:
        answer = api(role, scope).post(PEOPLE, {**NEW_HIRE, "team": red.team.pk})
        assert answer.status_code == 403, (role, scope)
        assert "admin role" in error_of(answer)["message"]
    assert Person.objects.count() == before


def test_everyone_changes_their_own_profile_and_a_team_admin_their_members(worlds, api):
    red, _ = worlds
    viewer = red.people["viewer"]
    path = f"{PEOPLE}{viewer.pk}/"
    own = api("viewer", "respond").patch(
        path, {"name": "Rita", "time_zone": "Europe/Lisbon", "email": "rita@example.org"}
    )
    assert own.status_code == 200, own.json()
    assert own.json()["name"] == "Rita" and own.json()["time_zone"] == "Europe/Lisbon"
    viewer.refresh_from_db()
    assert viewer.display_name == "Rita" and viewer.user.email == "rita@example.org"
    by_admin = api("admin", "admin").put(path, {"name": "Rita Oliveira", "locale": "pt-PT"})
    assert by_admin.status_code == 200
    viewer.refresh_from_db()
    assert (viewer.display_name, viewer.locale, viewer.time_zone) == (
        "Rita Oliveira",
        "pt-PT",
        "Europe/Lisbon",
    )


def test_a_bad_profile_change_names_the_field_and_changes_nothing(worlds, api):
    red, _ = worlds
    responder = red.people["responder"]
    client = api("responder", "respond")
    for body, field in [
        ({"time_zone": "Mars/Olympus_Mons", "name": "Changed"}, "time_zone"),
        ({"locale": "", "name": "Changed"}, "locale"),
        ({"name": ""}, "name"),
        ({"email": "not-an-address"}, "email"),
    ]:
        answer = client.patch(f"{PEOPLE}{responder.pk}/", body)
        assert answer.status_code == 400, body
        assert field in error_of(answer)["fields"], answer.json()
    assert client.put(f"{PEOPLE}{responder.pk}/", {"locale": "en"}).status_code == 400
    responder.refresh_from_db()
    assert (responder.display_name, responder.time_zone) == ("red responder", "UTC")


def test_only_the_person_or_their_team_admin_changes_a_profile(worlds, api):
    red, blue = worlds
    viewer = red.people["viewer"]
    path = f"{PEOPLE}{viewer.pk}/"
    read = api("viewer", "read").patch(path, {"name": "x"})
    assert read.status_code == 403 and "read token" in error_of(read)["message"]
    for role, scope in [("responder", "admin"), ("admin", "respond")]:
        answer = api(role, scope).patch(path, {"name": "x"})
        assert answer.status_code == 403 and "admin role" in error_of(answer)["message"]
    for method in ("patch", "put", "delete"):
        other = getattr(api("admin", "admin"), method)(
            f"{PEOPLE}{blue.people['viewer'].pk}/", {"name": "x"}
        )
        assert other.status_code == 404, method
    viewer.refresh_from_db()
    blue.people["viewer"].refresh_from_db()
    assert viewer.display_name == "red viewer" and blue.people["viewer"].display_name == (
        "blue viewer"
    )


def test_me_is_the_caller(worlds, api):
    red, _ = worlds
    answer = api("viewer", "read").get(f"{PEOPLE}me/")
    assert answer.status_code == 200
    me = answer.json()
    assert (me["id"], me["name"], me["username"]) == (
        red.people["viewer"].pk,
        "red viewer",
        "red-viewer",
    )
    assert me["teams"] == [{"id": red.team.pk, "role": "viewer"}]
    nobody = APIClient()
    nobody.force_authenticate(get_user_model().objects.create_superuser("ops", password="x"))
    assert nobody.get(f"{PEOPLE}me/").status_code == 404  # a login with no on-call profile
    assert APIClient().get(f"{PEOPLE}me/").status_code == 401


def _team_all_step(world) -> None:
    """Have the team's policy page every responder and admin of the team at once, too."""
    step = EscalationStep.objects.get(policy=world.policy, position=0)
    EscalationTarget.objects.create(step=step, kind="team_all", team=world.team)


def _paged(world) -> set[int]:
    """Declare an incident on the team's service, run its first step; return who was paged."""
    incident = incident_declare(service=world.service, title="Buffering", now=clock.now())
    engine.escalation_fire(incident_id=incident.pk, now=clock.now())
    return set(Page.objects.filter(incident=incident).values_list("person_id", flat=True))


def test_an_archived_person_can_no_longer_sign_in_use_a_token_or_be_paged(worlds, api):
    red, _ = worlds
    admin = api("admin", "admin")
    made = admin.post(PEOPLE, {**NEW_HIRE, "team": red.team.pk}).json()
    nova = Person.objects.get(pk=made["id"])
    method = admin.post(
        "/api/v1/contact-methods/",
        {"person": nova.pk, "kind": "sms", "address": "+5511955550101", "verified": True},
    ).json()
    admin.post("/api/v1/notification-rules/", {"contact_method": method["id"], "delay_minutes": 0})
    _team_all_step(red)
    assert nova.pk in _paged(red)
    token = token_for(nova, "respond")
    feed, _ = calendar_feed_create(person=nova)
    nova_client = APIClient()
    nova_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert nova_client.get(f"{PEOPLE}me/").status_code == 200

    assert admin.delete(f"{PEOPLE}{nova.pk}/").status_code == 204
    gone = nova_client.get(f"{PEOPLE}me/")
    assert gone.status_code == 401 and gone.json()["error"]["code"] == "not_authenticated"
    nova.refresh_from_db()
    assert not nova.user.is_active
    assert not ApiToken.objects.filter(user=nova.user, revoked_at__isnull=True).exists()
    assert CalendarFeed.objects.get(pk=feed.pk).revoked_at is not None
    assert not Membership.objects.filter(person=nova).exists()
    assert nova.pk not in _paged(red)
    assert Page.objects.filter(person=nova).exists()  # their history stays
    assert admin.get(f"{PEOPLE}{nova.pk}/").status_code == 404  # in none of the admin's teams


def test_archiving_is_refused_while_a_rota_a_coming_override_or_a_policy_names_them(worlds, api):
    red, _ = worlds
    admin = api("admin", "admin")
    responder, viewer = red.people["responder"], red.people["viewer"]
    refused = admin.delete(f"{PEOPLE}{responder.pk}/")
    assert refused.status_code == 409
    assert "the layer red-primary / weekly" in error_of(refused)["message"]

    start = clock.now() + timedelta(days=1)
    Override.objects.create(
        schedule=red.schedule, person=viewer, start=start, end=start + timedelta(hours=8)
    )
    step = EscalationStep.objects.get(policy=red.policy)
    EscalationTarget.objects.create(step=step, kind="person", person=viewer)
    refused = admin.delete(f"{PEOPLE}{viewer.pk}/")
    assert refused.status_code == 409
    message = error_of(refused)["message"]
    assert "an override of red-primary from" in message
    assert "the escalation policy red-policy" in message
    viewer.refresh_from_db()
    assert viewer.user.is_active and viewer.memberships.exists()

    own = api("admin", "admin").delete(f"{PEOPLE}{red.people['admin'].pk}/")
    assert own.status_code == 409 and "the team Red as its only admin" in error_of(own)["message"]


def test_only_an_admin_of_every_team_they_are_in_archives_someone(worlds, api):
    red, blue = worlds
    viewer = red.people["viewer"]
    for role, scope in [("responder", "admin"), ("admin", "respond"), ("viewer", "respond")]:
        answer = api(role, scope).delete(f"{PEOPLE}{viewer.pk}/")
        assert answer.status_code == 403, (role, scope)
    assert api("admin", "admin", team="blue").delete(f"{PEOPLE}{viewer.pk}/").status_code == 404
    team_member_set(team=blue.team, person=viewer, role="viewer")  # in blue too
    answer = api("admin", "admin").delete(f"{PEOPLE}{viewer.pk}/")
    assert answer.status_code == 403 and "every team" in error_of(answer)["message"]
    viewer.refresh_from_db()
    assert viewer.user.is_active and viewer.memberships.count() == 2
