"""The words of a page, as CONTRACT.md fixes them (pure)."""

import unicodedata

from oncall.channels.gsm import GSM7

SMS_LIMIT = 160


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
    *,
    number: int,
    severity: str,
    title: str,
    acknowledge_url: str,
    resolve_url: str,
    incident_url: str,
) -> str:
    """Return the text of an e-mail page, with its acknowledge and resolve links and a link to
    the incident's page."""
    return (
        f"Incident #{number} ({severity.upper()}) needs someone:\n\n"
        f"    {' '.join(title.split())}\n\n"
        f"Acknowledge: {acknowledge_url}\n"
        f"Resolve:     {resolve_url}\n"
        f"Open it:     {incident_url}\n\n"
        "Each link works once, for 24 hours, and asks you to confirm before it acts.\n"
        "You get this because you are on call, or were asked to help, on Plantao.\n"
    )


def page_sms_bundle(incidents: list[tuple[int, str, str]]) -> str:
    """Return one SMS for several open incidents (number, severity, title), newest first:
    `[Plantao] 3 open: #43 CRITICAL Disk full; #42 ...; #41 ... - reply 4 to acknowledge all,
    6 to resolve all`, in one segment: titles are cut, then incidents, never the reply hint."""
    ordered = sorted(incidents, key=lambda item: -item[0])
    head = f"[Plantao] {len(ordered)} open: "
    tail = " - reply 4 to acknowledge all, 6 to resolve all"
    room = SMS_LIMIT - len(head) - len(tail)
    parts = [f"#{n} {s.upper()} {gsm7(' '.join(t.split()))}" for n, s, t in ordered]
    each = max(12, room // len(parts) - 2)
    text = "; ".join(p if len(p) <= each else p[: each - 2].rstrip() + ".." for p in parts)
    if len(text) > room:  # too many to name with titles: numbers only, then "and N more"
        text = " ".join(f"#{n}" for n, _, _ in ordered)
        if len(text) > room:
            kept = []
            for n, _, _ in ordered:
                more = f" +{len(ordered) - len(kept) - 1} more"
                if len(" ".join(kept + [f"#{n}"])) + len(more) > room:
                    break
                kept.append(f"#{n}")
            text = " ".join(kept) + f" +{len(ordered) - len(kept)} more"
    return head + text + tail
