"""The demo through the API: its admin administers Platform SRE (CONTRACT.md) and reads who is
on call with a token made by the command, as the README's first example does."""

import io

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient


@pytest.mark.django_db
def test_the_demo_admin_is_an_admin_of_platform_sre_and_reads_who_is_on_call(settings):
    settings.DEBUG = True
    call_command("demo", stdout=io.StringIO())
    call_command("demo", stdout=io.StringIO())  # idempotent: still one membership
    out = io.StringIO()
    call_command("apitoken", "create", "admin", "--scope", "read", stdout=out)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {out.getvalue().splitlines()[-1]}")
    (team,) = client.get("/api/v1/teams/").json()["results"]
    assert team["name"] == "Platform SRE"
    admins = [m["person"]["name"] for m in team["members"] if m["role"] == "admin"]
    assert "Plantão Admin" in admins
    oncall = client.get("/api/v1/oncall/").json()
    assert [entry["schedule"]["name"] for entry in oncall] == ["Primary", "Secondary"]
    assert all(entry["now"]["person"]["name"] for entry in oncall)
