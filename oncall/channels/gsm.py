"""How many SMS segments a text takes, which is what carriers and Twilio count and bill (pure).

A text in the GSM 03.38 alphabet fits 160 characters in one segment, 153 in each of several
(the rest of each carries the joining header); its extension characters take two. Any other
character makes the whole text UCS-2: 70 UTF-16 units in one segment, 67 in each of several.
"""

import math

GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")


def sms_segments(text: str) -> int:
    """Return the number of segments `text` is sent in (at least one)."""
    if all(c in GSM7 or c in GSM7_EXTENSION for c in text):
        units, single, each = len(text) + sum(c in GSM7_EXTENSION for c in text), 160, 153
    else:
        units, single, each = len(text.encode("utf-16-le")) // 2, 70, 67
    return 1 if units <= single else math.ceil(units / each)
