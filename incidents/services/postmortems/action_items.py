"""Action items: what the team will do after a postmortem, with an owner, a due date, a status
and an optional link to an external tracker. They change even once the postmortem is published."""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction

from incidents.models import ActionItem, Postmortem
from oncall.models import Person

from .common import acting_as, aware, team_member
from .errors import PostmortemReadOnly

TITLE_MAX = ActionItem._meta.get_field("title").max_length
URL_MAX = ActionItem._meta.get_field("url").max_length
CHANGEABLE = ("title", "owner", "due_on", "status", "url")
FINISHED = (ActionItem.Status.DONE, ActionItem.Status.CANCELLED)


def _title(title) -> str:
    if not isinstance(title, str) or not title.strip():
        raise ValidationError({"title": "An action item needs a title."})
    title = " ".join(title.split())
    if len(title) > TITLE_MAX:
        raise ValidationError({"title": f"A title is at most {TITLE_MAX} characters."})
    return title


def _url(url) -> str:
    url = (url or "").strip() if isinstance(url, str) or url is None else None
    if url is None:
        raise ValidationError({"url": "Give the link as text."})
    if url:
        if len(url) > URL_MAX:
            raise ValidationError({"url": f"A link is at most {URL_MAX} characters."})
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            raise ValidationError({"url": "Give an http or https link."}) from None
    return url


def _due_on(due_on) -> date | None:
    if due_on is None or (isinstance(due_on, date) and not isinstance(due_on, datetime)):
        return due_on
    raise ValidationError({"due_on": "Give a date (YYYY-MM-DD)."})


def _owner(owner, team_id: int) -> Person | None:
    return None if owner is None else team_member(owner, team_id, "owner")


def _status(status) -> str:
    if status not in ActionItem.Status.values:
        raise ValidationError(
            {"status": f"Unknown status; one of {', '.join(ActionItem.Status.values)}."}
        )
    return status


def action_item_create(
    *,
    postmortem: Postmortem,
    by: Person | None,
    now: datetime,
    title: str,
    owner: Person | None = None,
    due_on: date | None = None,
    url: str = "",
) -> ActionItem:
    """Add an open action item to the postmortem (published or not)."""
    aware(now, "now")
    with acting_as(by), transaction.atomic():
        return ActionItem.objects.create(
            postmortem=postmortem,
            title=_title(title),
            owner=_owner(owner, postmortem.team_id),
            due_on=_due_on(due_on),
            url=_url(url),
            created_at=now,
            updated_at=now,
        )


def action_item_update(*, item: ActionItem, by: Person | None, now: datetime, **changes):
    """Change the item's title, owner, due date, status or link. Done or cancelled records when
    (done_at); open or in progress again clears it."""
    aware(now, "now")
    unknown = sorted(set(changes) - set(CHANGEABLE))
    if unknown:
        raise ValidationError(
            {name: "An action item has no such field to change." for name in unknown}
        )
    with acting_as(by), transaction.atomic():
        stored = ActionItem.objects.select_for_update().select_related("postmortem").get(pk=item.pk)
        team_id = stored.postmortem.team_id
        clean = {
            "title": _title,
            "owner": lambda owner: _owner(owner, team_id),
            "due_on": _due_on,
            "status": _status,
            "url": _url,
        }
        for name, value in changes.items():
            setattr(stored, name, clean[name](value))
        if stored.status in FINISHED and stored.done_at is None:
            stored.done_at = now
        elif stored.status not in FINISHED:
            stored.done_at = None
        stored.updated_at = now
        stored.save()
    return stored


def action_item_delete(*, item: ActionItem, by: Person | None, now: datetime) -> None:
    """Delete an action item of an unpublished postmortem; once published, mark it cancelled."""
    aware(now, "now")
    with acting_as(by), transaction.atomic():
        stored = ActionItem.objects.select_for_update().select_related("postmortem").get(pk=item.pk)
        if stored.postmortem.status == Postmortem.Status.PUBLISHED:
            raise PostmortemReadOnly(stored.postmortem)
        stored.delete()
