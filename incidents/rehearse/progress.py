"""Progress on stderr: a bar redrawn in place on a terminal, a plain line every tenth otherwise
(so a CI log holds a dozen lines, not thousands)."""

from __future__ import annotations

import sys

WIDTH = 30


class Progress:
    """Show how far `what` has gone; call it with (done, total), then `close()`."""

    def __init__(self, what: str, *, stream=None):
        self.what = what
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._tenth = -1
        self._drawn = False

    def __call__(self, done: int, total: int) -> None:
        share = done / total if total else 1.0
        if self.tty:
            filled = int(share * WIDTH)
            bar = "#" * filled + "-" * (WIDTH - filled)
            self.stream.write(f"\r{self.what} [{bar}] {done}/{total}")
            self.stream.flush()
            self._drawn = True
            return
        tenth = int(share * 10)
        if tenth != self._tenth:
            self._tenth = tenth
            self.stream.write(f"{self.what}: {done}/{total} ({share:.0%})\n")
            self.stream.flush()

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
