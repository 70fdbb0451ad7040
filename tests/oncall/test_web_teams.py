"""The team pages: members with their roles and time zones; a team admin adds a person they can
see, changes a role and takes a member out through oncall/services/teams.py, the refusals (the
last admin, someone still in a layer) shown and nothing changed; another team is a 404, a
responder sees no controls and is refused (403) on POST."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from oncall.demo import demo_load
from oncall.models import LayerMember, Membership, Person, Team

pytestmark = pytest.mark.django_db


def browser(person: Person) -> Client:
    client = Client()
    client.force_login(person.user)
    return client


def someone(username: str, zone: str = "America/Sao_Paulo") -> Person:
    user = get_user_model().objects.create_user(username)
    return Person.objects.create(user=user, display_name=username.title(), time_zone=zone)


@pytest.fixture
def sre(db):
    demo_load()
    return Team.objects.get(name="Platform SRE")


@pytest.fixture
def manager(sre):
    return sre.memberships.get(role="admin", person__user__is_superuser=False).person


@pytest.fixture
def payments(db):
    team = Team.objects.create(name="Payments", slug="payments")
    Membership.objects.create(team=team, person=someone("quincas"), role="admin")
    return team


def field_errors(response) -> dict[str, list[str]]:
    page = response.content.decode()
    found = {}
    for block in re.findall(r'<div class="field field--invalid">(.*?)</div>', page, re.S):
        label = re.search(r"<label[^>]*>(.*?)</label>", block, re.S).group(1).strip()
        found[label] = re.findall(r'<p class="field__error"[^>]*>(.*?)</p>', block, re.S)
    return found


def not_in_a_layer(team: Team) -> Membership:
    """Return a new responder of `team`, in none of its layers."""
    return Membership.objects.create(team=team, person=someone("newcomer"), role="responder")


def test_the_list_and_the_team_page_show_members_roles_and_zones(sre, manager, payments):
    client = browser(manager)
    listed = client.get("/teams/").content.decode()
    assert f'href="/teams/{sre.pk}/"' in listed and "Payments" not in listed
    page = client.get(f"/teams/{sre.pk}/").content.decode()
    assert manager.display_name in page and "Admin" in page
    assert re.search(rf"{re.escape(manager.time_zone)} \(UTC[+-]\d\d:\d\d\)", page)
    assert "Add member" in page and f"Role of {manager.display_name}" in page


def test_an_admin_adds_a_person_they_can_see_and_errors_are_shown_in_place(sre, manager, payments):
    client = browser(manager)
    before = Membership.objects.count()
    response = client.post(f"/teams/{sre.pk}/members/", {"person": "", "role": "responder"})
    assert response.status_code == 400
    assert field_errors(response) == {"Person": ["This field is required."]}
    quincas = Person.objects.get(user__username="quincas")  # in a team the manager is not in
    response = client.post(f"/teams/{sre.pk}/members/", {"person": quincas.pk, "role": "viewer"})
    assert response.status_code == 400
    assert field_errors(response) == {"Person": ["Choose one of the people listed."]}
    assert Membership.objects.count() == before

    Membership.objects.create(team=payments, person=manager, role="responder")
    response = client.post(f"/teams/{sre.pk}/members/", {"person": quincas.pk, "role": "viewer"})
    assert response.status_code == 302 and response.url == f"/teams/{sre.pk}/"
    assert sre.memberships.get(person=quincas).role == "viewer"


def test_an_admin_changes_a_role_but_the_last_admin_stays_one(sre, manager, payments):
    member = not_in_a_layer(sre)
    client = browser(manager)
    url = f"/teams/{sre.pk}/members/{member.person_id}/role/"
    assert client.post(url, {"role": "admin"}).status_code == 302
    member.refresh_from_db()
    assert member.role == "admin"

    quincas = Person.objects.get(user__username="quincas")
    response = browser(quincas).post(
        f"/teams/{payments.pk}/members/{quincas.pk}/role/", {"role": "viewer"}, follow=True
    )
    assert "Nothing was changed. Quincas is the team&#x27;s last admin" in response.content.decode()
    assert payments.memberships.get(person=quincas).role == "admin"


def test_removing_someone_still_in_a_layer_is_refused(sre, manager):
    busy = sre.memberships.filter(person__in=LayerMember.objects.values("person")).first()
    client = browser(manager)
    response = client.post(f"/teams/{sre.pk}/members/{busy.person_id}/remove/", follow=True)
    page = response.content.decode()
    assert "Nothing was changed." in page and "take them out of those first" in page
    assert Membership.objects.filter(pk=busy.pk).exists()

    free = not_in_a_layer(sre)
    response = client.post(f"/teams/{sre.pk}/members/{free.person_id}/remove/")
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=free.pk).exists()


def test_another_team_is_a_404(sre, manager, payments):
    client = browser(manager)
    quincas = Person.objects.get(user__username="quincas")
    assert client.get(f"/teams/{payments.pk}/").status_code == 404
    assert client.post(f"/teams/{payments.pk}/members/", {"person": manager.pk}).status_code == 404
    role = f"/teams/{payments.pk}/members/{quincas.pk}/role/"
    assert client.post(role, {"role": "viewer"}).status_code == 404
    assert client.post(f"/teams/{payments.pk}/members/{quincas.pk}/remove/").status_code == 404
    assert payments.memberships.get(person=quincas).role == "admin"


def test_a_responder_sees_no_controls_and_is_refused_on_post(sre, manager):
    responder = sre.memberships.filter(role="responder").first().person
    client = browser(responder)
    page = client.get(f"/teams/{sre.pk}/").content.decode()
    assert manager.display_name in page
    assert "Add member" not in page and "Change role of" not in page and "Remove " not in page
    before = list(Membership.objects.order_by("pk").values_list("pk", "role"))
    assert client.post(f"/teams/{sre.pk}/members/", {"person": responder.pk}).status_code == 403
    role = f"/teams/{sre.pk}/members/{manager.pk}/role/"
    assert client.post(role, {"role": "viewer"}).status_code == 403
    assert client.post(f"/teams/{sre.pk}/members/{manager.pk}/remove/").status_code == 403
    assert list(Membership.objects.order_by("pk").values_list("pk", "role")) == before


def test_each_member_is_shown_their_own_time_now(sre, manager, monkeypatch):
    from datetime import UTC, datetime

    from oncall import clock

    monkeypatch.setattr(clock, "now", lambda: datetime(2027, 1, 13, 12, 0, tzinfo=UTC))
    page = browser(manager).get(f"/teams/{sre.pk}/").content.decode()
    assert "Asia/Singapore (UTC+08:00), now 20:00" in page
    assert "America/Sao_Paulo (UTC-03:00), now 09:00" in page
    assert "Europe/Lisbon (UTC+00:00), now 12:00" in page
