"""Tokens that live in URL paths never reach a log line."""

import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from oncall.redaction import redact

ROOT = Path(__file__).resolve().parents[2]
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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_gunicorn_access_and_error_logs_carry_no_token(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",  # no tables: a 500 too
        "DJANGO_SETTINGS_MODULE": "oncall.config.settings.local",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "oncall.config.wsgi",
            "--config",
            "python:oncall.config.gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        with pytest.raises(urllib.error.HTTPError) as failed:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/ical/{TOKEN}.ics", timeout=10)
        assert failed.value.code == 500  # the database has no tables
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert "Internal Server Error: /ical/[redacted].ics" in output  # Django's error log
    assert "GET /ical/[redacted].ics" in output  # the access log
    assert TOKEN not in output
