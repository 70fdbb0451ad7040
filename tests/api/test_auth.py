"""Tokens: who a request is. No token, an unknown, expired or revoked one: 401 in the one error
body. Stored hashed; made, listed and revoked from the command line; the browser's session works
with CSRF."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from oncall import clock
from oncall.models import ApiToken
from oncall.models.tokens import api_token_digest
from oncall.tokens import api_token_revoke
from tests.api.conftest import T0, token_for

pytestmark = pytest.mark.django_db


def bearer(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_no_token_is_a_401_in_the_error_body(worlds):
    answer = APIClient().get("/api/v1/incidents/")
    assert answer.status_code == 401
    assert answer["WWW-Authenticate"].startswith("Bearer")
    assert answer.json() == {
        "error": {
            "code": "not_authenticated",
            "message": "Authentication credentials were not provided.",
        }
    }


@pytest.mark.parametrize(
    "spoil, message",
    [
        (lambda secret, token: secret[:-3] + "xyz", "The token is not valid."),
        (lambda secret, token: api_token_revoke(token=token, now=T0) and secret, "revoked"),
        (
            lambda secret, token: (
                ApiToken.objects.filter(pk=token.pk).update(expires_at=T0) and secret
            ),
            "expired",
        ),
    ],
    ids=["unknown", "revoked", "expired"],
)
def test_an_unknown_revoked_or_expired_token_is_a_401(worlds, spoil, message):
    red, _ = worlds
    secret = token_for(red.people["admin"], "admin")
    token = ApiToken.objects.get(digest=api_token_digest(secret))
    assert bearer(secret).get("/api/v1/incidents/").status_code == 200
    answer = bearer(spoil(secret, token)).get("/api/v1/incidents/")
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "not_authenticated"
    assert message in answer.json()["error"]["message"]


def test_a_token_is_stored_only_as_its_digest_and_records_its_last_use(worlds):
    red, _ = worlds
    secret = token_for(red.people["viewer"], "read")
    token = ApiToken.objects.get()
    assert secret.startswith("plt_") and len(secret) > 40
    assert token.digest == api_token_digest(secret)
    assert secret not in str(ApiToken.objects.values().get())
    assert token.last_used_at is None
    bearer(secret).get("/api/v1/oncall/")
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_the_command_prints_the_token_once_alone_on_the_last_line_and_it_works(worlds):
    red, _ = worlds
    out = StringIO()
    call_command(
        "apitoken",
        "create",
        red.people["responder"].user.username,
        "--scope",
        "respond",
        "--name",
        "grafana bot",
        "--expires-days",
        "30",
        stdout=out,
    )
    secret = out.getvalue().splitlines()[-1]
    assert secret.startswith("plt_") and " " not in secret
    token = ApiToken.objects.get()
    assert (token.name, token.scope) == ("grafana bot", "respond")
    assert timedelta(days=29) < token.expires_at - clock.now() <= timedelta(days=30)
    assert bearer(secret).get("/api/v1/oncall/").status_code == 200

    listed = StringIO()
    call_command("apitoken", "list", "red-responder", stdout=listed)
    assert f"{token.pk}  grafana bot  red-responder  respond  expires" in listed.getvalue()
    assert secret not in listed.getvalue() and secret[4:12] not in listed.getvalue()

    call_command("apitoken", "revoke", str(token.pk), stdout=StringIO())
    assert bearer(secret).get("/api/v1/oncall/").status_code == 401


def test_the_command_refuses_an_unknown_user_or_token(worlds):
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("apitoken", "create", "nobody", stdout=StringIO())
    with pytest.raises(CommandError, match="No token with ID 999"):
        call_command("apitoken", "revoke", "999", stdout=StringIO())
    assert not ApiToken.objects.exists()


def test_a_browser_session_reads_and_must_send_the_csrf_token_to_write(worlds):
    red, _ = worlds
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(red.people["responder"].user)
    assert browser.get("/api/v1/incidents/").status_code == 200
    body = {"service": red.service.pk, "title": "Buffering"}
    refused = browser.post("/api/v1/incidents/", body, format="json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["error"]["message"]
    browser.get("/")  # a page with a form (its logout button) sets the csrftoken cookie
    csrf = browser.cookies["csrftoken"].value
    made = browser.post("/api/v1/incidents/", body, format="json", HTTP_X_CSRFTOKEN=csrf)
    assert made.status_code == 201, made.json()
