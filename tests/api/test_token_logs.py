"""API tokens never reach a log: not the application's (read back at DEBUG) and not the web
server's access log, wherever a token is put (the header, a path, a query string)."""

import logging

import pytest
from rest_framework.test import APIClient

from oncall.redaction import redact
from tests.api.conftest import token_for
from tests.webserver import WebServer, manage, server_env


@pytest.mark.django_db
def test_no_token_is_in_any_application_log_line(worlds, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    red, _ = worlds
    secret = token_for(red.people["admin"], "read")
    wrong = secret[:-4] + "AAAA"
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    client.get("/api/v1/incidents/", {"status": "triggered"})
    client.post("/api/v1/incidents/", {"service": red.service.pk, "title": "x"}, format="json")
    client.get(f"/api/v1/incidents/{secret}/")  # a token pasted into a path: a logged 404
    client.get("/api/v1/incidents/", {"token": secret})  # ... and into a query string
    client.get(f"/api/nowhere/{secret}")
    stranger = APIClient()
    stranger.credentials(HTTP_AUTHORIZATION=f"Bearer {wrong}")
    assert stranger.get("/api/v1/incidents/").status_code == 401
    logging.getLogger("django.request").warning("Asked for %s", f"/api/v1/x?key={secret}")

    written = caplog.text + "".join(capfd.readouterr())
    assert "Not Found" in written and "Unauthorized" in written and "Forbidden" in written
    for token in (secret, wrong):
        assert token[4:] not in written
    assert redact(f"GET /api/v1/x/{secret}/") == "GET /api/v1/x/plt_[redacted]/"


def test_no_token_is_in_the_web_servers_access_log(tmp_path):
    env = server_env(tmp_path / "plantao.sqlite3")
    manage(env, "migrate", "--no-input", "-v", "0")
    manage(
        env,
        "shell",
        "-c",
        "from oncall.services import person_create; person_create(username='ana', "
        "display_name='Ana')",
    )
    secret = manage(env, "apitoken", "create", "ana").splitlines()[-1]
    server = WebServer(env, tmp_path / "web.log")
    try:
        auth = {"Authorization": f"Bearer {secret}"}
        assert server.request("GET", "/api/v1/oncall/", headers=auth)[0] == 200
        assert server.request("GET", f"/api/v1/oncall/?token={secret}", headers=auth)[0] == 200
        assert server.request("GET", f"/api/v1/people/{secret}/", headers=auth)[0] == 404
        bad = {"Authorization": f"Bearer {secret[:-2]}zz"}
        assert server.request("GET", "/api/v1/oncall/", headers=bad)[0] == 401
    finally:
        output = server.stop()
    assert "GET /api/v1/oncall/ HTTP/1.1" in output  # the access log is there
    assert "/api/v1/people/plt_[redacted]/" in output
    assert secret[4:] not in output and secret[4:16] not in output
