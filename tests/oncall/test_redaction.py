"""Tokens that live in URL paths never reach a log line."""

import logging

import pytest

from oncall.redaction import redact
from tests.webserver import WebServer, server_env

TOKEN = "sekrit-calendar-token-4f9a"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (f"GET /ical/{TOKEN}.ics HTTP/1.1", "GET /ical/[redacted].ics HTTP/1.1"),
        (f"/integrations/alertmanager/{TOKEN}/", "/integrations/alertmanager/[redacted]/"),
        ("GET /healthz HTTP/1.1", "GET /healthz HTTP/1.1"),
    ],
)
def test_redact_cuts_tokens_out_of_paths(line, expected):
    assert redact(line) == expected


@pytest.mark.django_db
def test_a_bad_calendar_link_is_logged_without_its_token(client, caplog):
    with caplog.at_level(logging.INFO):
        assert client.get(f"/ical/{TOKEN}.ics").status_code == 404
    assert "Not Found" in caplog.text
    assert TOKEN not in caplog.text


def test_the_web_servers_access_and_error_logs_carry_no_token(tmp_path):
    # No tables in this database: the calendar view fails, and its 500 is logged too.
    server = WebServer(server_env(tmp_path / "empty.sqlite3"), tmp_path / "web.log")
    try:
        status, _ = server.request("GET", f"/ical/{TOKEN}.ics")
    finally:
        output = server.stop()
    assert status == 500
    assert "Internal Server Error: /ical/[redacted].ics" in output  # Django's error log
    assert "GET /ical/[redacted].ics" in output  # the access log
    assert TOKEN not in output
