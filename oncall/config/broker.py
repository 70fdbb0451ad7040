"""kombu's filesystem transport (the embedded default's broker), with each message written whole
before a worker can see it.

kombu creates a message's file, then writes it under a lock that its reader never takes: a worker
polling at that instant moves the empty file away, fails to decode it, and stops with an
"unrecoverable error" (an alert storm on `make run` did it). Here a message is written under a
name no reader looks for and renamed into place, which is atomic on one file system; a file that
cannot be read all the same (a torn write in a machine crash) is skipped with a warning instead of
stopping the worker. Losing a doorbell loses nothing: the database holds what must still happen,
and the sweep rings again.
"""

from __future__ import annotations

import logging
import os
import uuid
from contextlib import suppress
from queue import Empty
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

log = logging.getLogger(__name__)

PARTIAL = ".part"  # readers take only names ending in "<queue>.msg"
UNREADABLE_SKIPPED_MAX = 100  # per poll: then wait for the next one


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        """Put `payload` on `queue`: written whole, then renamed into the queue's folder."""
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = final + PARTIAL
        data = str_to_bytes(dumps(payload))
        try:
            with open(partial, "wb") as file:
                file.write(data)
            os.replace(partial, final)
        except OSError as error:
            with suppress(OSError):
                os.remove(partial)
            raise ChannelError(f"Cannot add a message to {self.data_folder_out}") from error

    def _get(self, queue):
        """Get the next readable message of `queue`, skipping one that cannot be decoded."""
        for _ in range(UNREADABLE_SKIPPED_MAX):
            try:
                return super()._get(queue)
            except ValueError:
                log.warning("The broker skipped a message of %s it could not read.", queue)
        raise Empty()


class Transport(filesystem.Transport):
    Channel = Channel


def register() -> None:
    """Make "filesystem://" broker URLs use this transport in this process (the Celery app does
    it on import, before any connection is made); any other URL is left to kombu."""
    TRANSPORT_ALIASES["filesystem"] = f"{__name__}:Transport"
