"""Channels: the console logs pages, the recording file survives many writers and SIGKILL."""

import logging
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from oncall.channels import (
    KINDS,
    ChannelError,
    LookupUnsupported,
    Message,
    SendResult,
    channel_for,
)
from oncall.channels.console import ConsoleChannel
from oncall.channels.recording import BODY_LIMIT, RecordingChannel, clear, sends
from oncall.models import ContactMethod

ROOT = Path(__file__).resolve().parents[2]


def page(reference="page-123", **fields):
    values = {
        "kind": "sms",
        "address": "+12125550101",
        "subject": "[P1] Checkout down",
        "body": "5xx rate 12% on checkout-api",
    }
    return Message(reference=reference, **(values | fields))


@pytest.fixture
def python():
    """Start fresh interpreters running a script with the project importable; reap them after."""
    started = []

    def start(script: str, *args: str, **popen) -> subprocess.Popen:
        env = os.environ | {"PYTHONPATH": str(ROOT)}
        command = [sys.executable, "-c", script, *args]
        started.append(subprocess.Popen(command, cwd=ROOT, env=env, **popen))
        return started[-1]

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_kinds_are_the_contact_method_kinds():
    assert set(KINDS) == set(ContactMethod.Kind.values)


def test_a_message_of_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="pigeon"):
        page(kind="pigeon")


# Console


def test_console_logs_one_readable_line(caplog):
    caplog.set_level(logging.WARNING, logger="plantao.pages")

    result = ConsoleChannel().send(page(body="5xx rate 12%\non checkout-api"))

    assert result == SendResult(provider_id="console-page-123", status="sent")
    [record] = caplog.records
    assert record.name == "plantao.pages"
    assert record.levelno == logging.WARNING
    assert record.getMessage() == (
        "PAGE sms to +12125550101 [page-123]: [P1] Checkout down | 5xx rate 12% on checkout-api"
    )


def test_console_cannot_look_up_a_send():
    with pytest.raises(LookupUnsupported):
        ConsoleChannel().lookup("page-123")


# Recording


def test_recording_records_every_send_duplicates_included(tmp_path, frozen_now):
    frozen_now(datetime(2025, 3, 1, 4, 30, tzinfo=UTC))
    path = tmp_path / "pages.jsonl"
    channel = RecordingChannel(path)

    first = channel.send(page())
    second = channel.send(page())

    assert first.status == second.status == "sent"
    assert first.provider_id.startswith("rec-") and first.provider_id != second.provider_id
    recorded = sends(path)
    assert [sent["provider_id"] for sent in recorded] == [first.provider_id, second.provider_id]
    assert recorded[0] == {
        "reference": "page-123",
        "kind": "sms",
        "address": "+12125550101",
        "subject": "[P1] Checkout down",
        "body": "5xx rate 12% on checkout-api",
        "provider_id": first.provider_id,
        "at": "2025-03-01T04:30:00+00:00",
    }


def test_recording_keeps_lines_small(tmp_path):
    path = tmp_path / "pages.jsonl"
    RecordingChannel(path).send(page(body="ã" * 50_000))

    [sent] = sends(path)
    assert sent["body"] == "ã" * BODY_LIMIT
    assert len(path.read_bytes()) < 4096


def test_recording_lookup_finds_the_first_send_by_reference(tmp_path):
    path = tmp_path / "pages.jsonl"
    channel = RecordingChannel(path)
    first = channel.send(page("page-1"))
    channel.send(page("page-2"))
    channel.send(page("page-1"))

    assert RecordingChannel(path).lookup("page-1") == first
    assert channel.lookup("page-404") is None
    assert RecordingChannel(tmp_path / "never-written.jsonl").lookup("page-1") is None


def test_recording_refuses_the_references_it_is_told_to_fail(tmp_path):
    path = tmp_path / "pages.jsonl"
    channel = RecordingChannel(path, fail_references={"page-bad"})

    with pytest.raises(ChannelError) as refused:
        channel.send(page("page-bad"))

    assert refused.value.retryable is False
    assert channel.lookup("page-bad") is None
    channel.send(page("page-good"))
    assert [sent["reference"] for sent in sends(path)] == ["page-good"]


def test_recording_ignores_a_line_still_being_written(tmp_path):
    path = tmp_path / "pages.jsonl"
    RecordingChannel(path).send(page())
    with path.open("a") as file:
        file.write('{"reference": "page-half')

    assert [sent["reference"] for sent in sends(path)] == ["page-123"]


def test_clear_forgets_every_send(tmp_path):
    path = tmp_path / "pages.jsonl"
    RecordingChannel(path).send(page())

    clear(path)
    clear(path)

    assert sends(path) == []


WRITER = """
import os, sys, time
from pathlib import Path
from oncall.channels import Message
from oncall.channels.recording import RecordingChannel

path, tmp, worker, count = sys.argv[1], Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
if hasattr(os, "sched_setaffinity"):
    # Spread the writers over the CPUs: two writes can only collide when they run side by side.
    cpus = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpus[int(worker) % len(cpus)]})
channel = RecordingChannel(path)
(tmp / f"ready-{worker}").touch()
deadline = time.monotonic() + 60
while not (tmp / "go").exists():
    assert time.monotonic() < deadline, "never told to go"
    time.sleep(0.001)
start = float((tmp / "go").read_text())
for i in range(count):
    # Every writer wakes on the same ticks, so their writes hit the file at the same moments.
    time.sleep(max(0.0, start + i * 0.002 - time.time()))
    reference = f"w{worker}-{i}"
    channel.send(Message(reference, "sms", "+12125550101", "subject", reference.ljust(900, "x")))
"""


def test_recording_four_processes_appending_at_once_leave_every_line_whole(tmp_path, python):
    path, workers, count = tmp_path / "pages.jsonl", 4, 200
    procs = [
        python(WRITER, str(path), str(tmp_path), str(worker), str(count))
        for worker in range(workers)
    ]
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("ready-*"))) < workers and time.monotonic() < deadline:
        time.sleep(0.01)
    # The writers' shared first tick, written aside and renamed so no one reads half of it.
    (tmp_path / "go.tmp").write_text(str(time.time() + 0.05))
    (tmp_path / "go.tmp").rename(tmp_path / "go")
    assert [proc.wait(timeout=60) for proc in procs] == [0] * workers

    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b"" and len(lines) - 1 == workers * count
    recorded = sends(path)  # json.loads on each line: raises on any torn or interleaved line
    expected = {f"w{worker}-{i}" for worker in range(workers) for i in range(count)}
    assert {sent["reference"] for sent in recorded} == expected
    assert all(sent["body"] == sent["reference"].ljust(900, "x") for sent in recorded)


KILLED = """
import sys, time
from oncall.channels import Message
from oncall.channels.recording import RecordingChannel

message = Message("page-killed", "voice", "+12125550101", "Wake up", "checkout-api down")
print(RecordingChannel(sys.argv[1]).send(message).provider_id, flush=True)
time.sleep(60)
"""


def test_recording_a_send_survives_sigkill_of_the_sender(tmp_path, python):
    path = tmp_path / "pages.jsonl"
    proc = python(KILLED, str(path), stdout=subprocess.PIPE, text=True)
    try:
        provider_id = proc.stdout.readline().strip()  # send has returned
    finally:
        proc.kill()
        proc.wait(timeout=10)
        proc.stdout.close()

    assert proc.returncode == -signal.SIGKILL
    assert provider_id.startswith("rec-")
    [sent] = sends(path)
    assert sent["reference"] == "page-killed" and sent["provider_id"] == provider_id
    assert RecordingChannel(path).lookup("page-killed") == SendResult(provider_id, "sent")


# Registry


def test_registry_gives_the_console_for_every_kind(settings):
    settings.PLANTAO_CHANNEL = "console"

    assert all(isinstance(channel_for(kind), ConsoleChannel) for kind in KINDS)


def test_registry_reads_the_setting_at_call_time(settings, tmp_path):
    settings.PLANTAO_CHANNEL = "recording"
    settings.PLANTAO_RECORDING_PATH = str(tmp_path / "pages.jsonl")

    channels = [channel_for(kind) for kind in KINDS]

    assert all(isinstance(channel, RecordingChannel) for channel in channels)
    channels[0].send(page())
    assert [sent["reference"] for sent in sends(tmp_path / "pages.jsonl")] == ["page-123"]


def test_registry_refuses_an_unknown_channel_or_kind(settings):
    settings.PLANTAO_CHANNEL = "twitter"
    with pytest.raises(ImproperlyConfigured, match="twitter"):
        channel_for("sms")

    settings.PLANTAO_CHANNEL = "console"
    with pytest.raises(ValueError, match="pigeon"):
        channel_for("pigeon")


def test_recording_finds_a_page_carried_by_a_bundled_text(tmp_path):
    channel = RecordingChannel(tmp_path / "pages.jsonl")
    bundle = Message(
        "page-1", "sms", "+351910000000", "3 open", "[Plantao] 3 open", (), ("page-2", "page-3")
    )
    sent = channel.send(bundle)
    assert channel.lookup("page-3") == sent
    assert channel.lookup("page-4") is None
