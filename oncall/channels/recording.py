"""A channel for tests: append every send as one JSON line to a file that any process can read.

Workers send concurrently and tests SIGKILL them, so each send is a single os.write of one whole
line to a file opened with O_APPEND. On a local Linux file the kernel puts each such write at the
end in one piece, and once os.write returns the line is in the page cache: readable by every
process whatever then happens to the writer (no fsync; surviving a machine crash is not the aim).
"""

import json
import os
import uuid
from collections.abc import Iterable
from pathlib import Path

from oncall import clock
from oncall.channels.base import Channel, ChannelError, Message, OutcomeUnknown, SendResult

# Small lines keep each write to a page or two; tests never need more of a page than this.
BODY_LIMIT = 1000
SUBJECT_LIMIT = 200


class RecordingChannel(Channel):
    """Record every send, duplicates included, so tests can count what was really sent."""

    name = "recording"

    def __init__(self, path: str | os.PathLike, *, fail_references: Iterable[str] = ()):
        self.path = os.fspath(path)
        self.fail_references = frozenset(fail_references)

    def send(self, message: Message) -> SendResult:
        """Append `message` to the file; refuse the references the channel was told to fail."""
        if message.reference in self.fail_references:
            raise ChannelError(f"refused by fail_references: {message.reference}", retryable=False)
        provider_id = f"rec-{uuid.uuid4().hex}"
        line = {
            "reference": message.reference,
            "kind": message.kind,
            "address": message.address,
            "subject": message.subject[:SUBJECT_LIMIT],
            "body": message.body[:BODY_LIMIT],
            "provider_id": provider_id,
            "at": clock.now().isoformat(),
        }
        if message.also:  # the other pages a bundled text carries
            line["also"] = list(message.also)
        _append(self.path, (json.dumps(line, ensure_ascii=False) + "\n").encode())
        return SendResult(provider_id=provider_id, status="sent")

    def lookup(self, reference: str, **context) -> SendResult | None:
        """Return the first recorded send carrying `reference` (alone or with others), or None
        if there is none."""
        for sent in sends(self.path):
            if sent["reference"] == reference or reference in sent.get("also", ()):
                return SendResult(provider_id=sent["provider_id"], status="sent")
        return None


def _append(path: str, data: bytes) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    except OSError as error:
        raise ChannelError(f"cannot open {path}: {error}", retryable=True) from error
    try:
        written = os.write(fd, data)
    except OSError as error:
        # A failed write wrote nothing.
        raise ChannelError(f"cannot write {path}: {error}", retryable=True) from error
    finally:
        os.close(fd)
    if written != len(data):
        raise OutcomeUnknown(f"short write to {path}: {written} of {len(data)} bytes")


def sends(path: str | os.PathLike) -> list[dict]:
    """Return every recorded send, oldest first; a line still being written is left out.

    Raise ValueError on a malformed complete line: a torn write is a bug the tests must see.
    """
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return []
    # The last piece is b"" when the file ends in a newline, else a line not yet fully written.
    return [json.loads(line) for line in data.split(b"\n")[:-1]]


def clear(path: str | os.PathLike) -> None:
    """Forget every recorded send."""
    Path(path).unlink(missing_ok=True)
