"""Text from monitoring made fit to show people (pure): titles, summaries and labels reach SMS,
Slack, e-mail and the logs, where a terminal escape (`ESC[31m`) repaints a log viewer, a
bidirectional override (U+202E) makes `gpj.exe` read `exe.jpg`, and zero-width characters make
two different texts look alike. Every source passes its events through `event_clean`; the raw
payload it stored keeps them, escaped, as they came.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata

from .base import AlertEvent

# Terminal escape sequences, removed whole so that `ESC[31m` leaves no `[31m` behind: CSI
# (ESC [ or the one-byte C1 form, parameters, final byte), OSC (ESC ] ... BEL or ESC \), and the
# two-character ones (ESC followed by one byte).
ESCAPE_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -~]?"
)
# C0 and C1 controls (Cc), format characters (Cf: the bidi embeddings, overrides and isolates
# U+202A-U+202E and U+2066-U+2069, the marks U+200E/F and U+061C, zero-width spaces and
# joiners, the BOM, tag characters), and lone surrogates (Cs), which no database stores.
INVISIBLE = frozenset(("Cc", "Cf", "Cs"))
LINE_BREAKS = re.compile(r"\r\n|[\r\n\v\f\x85\u2028\u2029]")
BLANKS = re.compile(r"[^\S\n]+")  # whitespace other than a line break


def _visible(text: str, keep: str) -> str:
    text = ESCAPE_SEQUENCE.sub("", text)
    if text.isprintable():
        return text
    return "".join(
        char for char in text if char in keep or unicodedata.category(char) not in INVISIBLE
    )


def line_clean(text: str) -> str:
    """Return `text` without escapes or invisible characters, on one line: line breaks and tabs
    become spaces, runs of spaces one, and the ends are stripped."""
    if not text.isprintable():
        text = _visible(LINE_BREAKS.sub(" ", text), keep="\t")
    return " ".join(text.split())


def text_clean(text: str) -> str:
    """Return `text` without escapes or invisible characters, keeping its lines (each break one
    newline) and its tabs and spaces."""
    # Nearly every text is already clean, and str.isprintable() says so in one C call: a
    # printable string holds no Cc, Cf or Cs character, hence no escape and no line break.
    if text.isprintable():
        return text
    return _visible(LINE_BREAKS.sub("\n", text), keep="\t\n")


def value_clean(value: object) -> object:
    """Return `value` (decoded JSON) with every string in it, keys too, passed by text_clean."""
    if isinstance(value, str):
        return text_clean(value)
    if isinstance(value, dict):
        return {text_clean(str(key)): value_clean(item) for key, item in value.items()}
    if isinstance(value, list):
        return [value_clean(item) for item in value]
    return value


def event_clean(event: AlertEvent) -> AlertEvent:
    """Return `event` with its title on one clean line and its details cleaned; its payload, the
    raw alert, is left as it came."""
    return dataclasses.replace(
        event, title=line_clean(event.title), details=value_clean(event.details)
    )
