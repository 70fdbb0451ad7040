"""The words of a page, as CONTRACT.md fixes them (pure)."""

import unicodedata

SMS_LIMIT = 160
# The GSM 03.38 basic character set: anything else makes an SMS UCS-2 and cuts it to 70 chars.
GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)


def gsm7(text: str) -> str:
    """Return `text` in GSM-7 characters only: accents dropped, dashes and quotes made ASCII."""
    text = (
        text.replace("\u2013", "-")
        .replace("\u2014", "-")
        .replace("\u2018", "'")
        .replace("\u2019", "'")
        .replace("\u201c", '"')
        .replace("\u201d", '"')
        .replace("\n", " ")
    )
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c if c in GSM7 else "?" for c in plain)


def page_sms(*, number: int, severity: str, title: str) -> str:
    """Return the SMS page: `[Plantao #42] CRITICAL <title> - reply 4 to ack...`, one segment."""
    head = f"[Plantao #{number}] {severity.upper()} "
    tail = " - reply 4 to acknowledge, 6 to resolve"
    room = SMS_LIMIT - len(head) - len(tail)
    title = gsm7(" ".join(title.split())) or "(no title)"
    if len(title) > room:
        title = title[: room - 3].rstrip() + "..."
    return head + title + tail


def page_subject(*, number: int, severity: str, title: str) -> str:
    """Return the one-line subject of an e-mail or chat page."""
    return f"[Plantao #{number}] {severity.upper()} {' '.join(title.split())}"[:200]


def page_email(
    *, number: int, severity: str, title: str, acknowledge_url: str, resolve_url: str
) -> str:
    """Return the text of an e-mail page, with its acknowledge and resolve links."""
    return (
        f"Incident #{number} ({severity.upper()}) needs someone:\n\n"
        f"    {' '.join(title.split())}\n\n"
        f"Acknowledge: {acknowledge_url}\n"
        f"Resolve:     {resolve_url}\n\n"
        "Each link works once, for 24 hours, and asks you to confirm before it acts.\n"
        "You get this because you are on call, or were asked to help, on Plantao.\n"
    )
