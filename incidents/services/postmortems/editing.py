"""Edit a postmortem: its title and sections, and its own timeline. The incidents' record is
never touched: an entry drafted from it is edited or hidden here only."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from incidents.models import Postmortem, PostmortemEntry
from oncall.models import Person

from .common import acting_as, aware, bump, refresh, writable
from .errors import DraftedEntryKept

TITLE_MAX = Postmortem._meta.get_field("title").max_length
TEXT_MAX = 10_000
BODY_MAX = 100_000


def _title(title) -> str:
    if not isinstance(title, str) or not title.strip():
        raise ValidationError({"title": "A postmortem needs a title."})
    title = " ".join(title.split())
    if len(title) > TITLE_MAX:
        raise ValidationError({"title": f"A title is at most {TITLE_MAX} characters."})
    return title


def _text(text) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ValidationError({"text": "An entry needs some text."})
    if len(text) > TEXT_MAX:
        raise ValidationError({"text": f"An entry is at most {TEXT_MAX} characters."})
    return text.strip()


def _section_bodies(row: Postmortem, sections: Mapping) -> dict:
    bodies = {}
    for key, body in sections.items():
        try:
            section_id = int(key)
        except (TypeError, ValueError):
            raise ValidationError({"sections": f"{key!r} is not a section id."}) from None
        if not isinstance(body, str):
            raise ValidationError({"sections": f"Section {section_id}'s body must be text."})
        if len(body) > BODY_MAX:
            raise ValidationError(
                {"sections": f"Section {section_id} is longer than {BODY_MAX} characters."}
            )
        bodies[section_id] = body
    known = {section.pk: section for section in row.sections.filter(pk__in=bodies)}
    unknown = sorted(set(bodies) - set(known))
    if unknown:
        raise ValidationError(
            {"sections": f"This postmortem has no section {', '.join(map(str, unknown))}."}
        )
    return {known[pk]: body for pk, body in bodies.items()}


def postmortem_update(
    *,
    postmortem: Postmortem,
    by: Person | None,
    now: datetime,
    revision: int,
    title: str | None = None,
    sections: Mapping[int, str] | None = None,
) -> Postmortem:
    """Save a new title and section bodies (markdown) made from `revision`: refused when someone
    saved since (StaleRevision) or the postmortem is published (PostmortemReadOnly). One save
    is one new revision."""
    aware(now, "now")
    if isinstance(revision, bool) or not isinstance(revision, int):
        raise ValidationError({"revision": "Give the revision the edit started from."})
    with acting_as(by), transaction.atomic():
        row = writable(postmortem, revision=revision)
        fields = ()
        if title is not None:
            row.title = _title(title)
            fields = ("title",)
        for section, body in _section_bodies(row, sections or {}).items():
            if section.body != body:
                section.body = body
                section.save(update_fields=["body"])
        bump(row, now=now, fields=fields)
    return refresh(postmortem, row)


def entry_add(
    *, postmortem: Postmortem, by: Person | None, now: datetime, at: datetime, text: str
) -> PostmortemEntry:
    """Add an entry written by hand to the postmortem's timeline, at `at`."""
    aware(now, "now")
    with acting_as(by), transaction.atomic():
        row = writable(postmortem)
        entry = PostmortemEntry.objects.create(
            postmortem=row,
            at=aware(at, "at"),
            kind=PostmortemEntry.MANUAL,
            actor_name=by.display_name if by is not None else "",
            text=_text(text),
            added_by=by,
        )
        bump(row, now=now)
    refresh(postmortem, row)
    return entry


def entry_update(
    *,
    entry: PostmortemEntry,
    by: Person | None,
    now: datetime,
    at: datetime | None = None,
    text: str | None = None,
    hidden: bool | None = None,
) -> PostmortemEntry:
    """Change an entry's instant or text, or hide or show it. A drafted entry changed so is
    marked edited; the incident's own record stays as it was."""
    aware(now, "now")
    if hidden is not None and not isinstance(hidden, bool):
        raise ValidationError({"hidden": "Say true or false."})
    with acting_as(by), transaction.atomic():
        row = writable(entry.postmortem)
        stored = PostmortemEntry.objects.select_for_update().get(pk=entry.pk)
        changed = set()
        if at is not None and aware(at, "at") != stored.at:
            stored.at, changed = at, changed | {"at"}
        if text is not None and _text(text) != stored.text:
            stored.text, changed = _text(text), changed | {"text"}
        if changed and stored.origin:
            stored.edited, changed = True, changed | {"edited"}
        if hidden is not None and hidden != stored.hidden:
            stored.hidden, changed = hidden, changed | {"hidden"}
        if changed:
            stored.save(update_fields=sorted(changed))
            bump(row, now=now)
    refresh(entry.postmortem, row)
    return stored


def entry_delete(*, entry: PostmortemEntry, by: Person | None, now: datetime) -> None:
    """Delete an entry added by hand; one drafted from the record is hidden instead."""
    aware(now, "now")
    with acting_as(by), transaction.atomic():
        row = writable(entry.postmortem)
        stored = PostmortemEntry.objects.select_for_update().get(pk=entry.pk)
        if stored.kind != PostmortemEntry.MANUAL or stored.origin:
            raise DraftedEntryKept()
        stored.delete()
        bump(row, now=now)
    refresh(entry.postmortem, row)
