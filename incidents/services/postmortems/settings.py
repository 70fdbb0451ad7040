"""A team's postmortem template (the sections a new one starts with) and policy."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from incidents.models import PostmortemSettings
from oncall.models import Person, Team

from .common import acting_as, aware

HEADING_MAX = 100
PROMPT_MAX = 300
SECTIONS_MAX = 30


def postmortem_settings_of(*, team: Team) -> PostmortemSettings:
    """Return the team's postmortem settings; the defaults, unsaved, when it has none."""
    found = PostmortemSettings.objects.filter(team=team).first()
    return found if found is not None else PostmortemSettings(team=team)


def _sections(sections) -> list[dict]:
    if not isinstance(sections, list | tuple) or not sections:
        raise ValidationError({"sections": "Give at least one section."})
    if len(sections) > SECTIONS_MAX:
        raise ValidationError({"sections": f"At most {SECTIONS_MAX} sections."})
    cleaned, seen = [], set()
    for number, section in enumerate(sections, start=1):
        if not isinstance(section, dict):
            raise ValidationError({"sections": f"Section {number} needs a heading."})
        heading = " ".join(str(section.get("heading") or "").split())
        prompt = " ".join(str(section.get("prompt") or "").split())
        if not heading:
            raise ValidationError({"sections": f"Section {number} needs a heading."})
        if len(heading) > HEADING_MAX or len(prompt) > PROMPT_MAX:
            raise ValidationError(
                {
                    "sections": f"Section {number}: a heading is at most {HEADING_MAX} "
                    f"characters, a prompt at most {PROMPT_MAX}."
                }
            )
        if heading.lower() in seen:
            raise ValidationError({"sections": f"Two sections are headed “{heading}”."})
        seen.add(heading.lower())
        cleaned.append({"heading": heading, "prompt": prompt})
    return cleaned


def postmortem_settings_update(
    *,
    team: Team,
    by: Person | None,
    now: datetime,
    sections: list[dict] | None = None,
    required_for_critical: bool | None = None,
) -> PostmortemSettings:
    """Change the team's postmortem template and whether critical incidents require one.
    Postmortems already started keep their sections."""
    aware(now, "now")
    if required_for_critical is not None and not isinstance(required_for_critical, bool):
        raise ValidationError({"required_for_critical": "Say true or false."})
    cleaned = _sections(sections) if sections is not None else None
    with acting_as(by), transaction.atomic():
        stored = PostmortemSettings.objects.select_for_update().filter(team=team).first()
        stored = stored or PostmortemSettings(team=team)
        if cleaned is not None:
            stored.sections = cleaned
        if required_for_critical is not None:
            stored.required_for_critical = required_for_critical
        stored.save()
    return stored
