"""The embedded default's own SECRET_KEY: random, made once on first start, kept under var/.

Web, worker and scheduler start together (`make run`), so they may all reach this at once: the
key is written to a private temporary file and then linked into place, which succeeds for
exactly one process; every other one reads the key that won.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

FILE_MODE = 0o600


def development_secret_key(path: Path) -> str:
    """Return the key kept in `path`, creating it (random, mode 0600) if there is none yet."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        _create(path)
    key = path.read_text(encoding="ascii").strip()
    if not key:
        raise ImproperlyConfigured(f"{path} is empty; delete it to have a new key made.")
    return key


def _create(path: Path) -> None:
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as draft_file:
            draft_file.write(secrets.token_urlsafe(50) + "\n")
            draft_file.flush()
            os.fsync(draft_file.fileno())
        # A link never replaces an existing file: the first process to get here wins.
        with contextlib.suppress(FileExistsError):
            os.link(draft, path)
    finally:
        draft.unlink(missing_ok=True)
