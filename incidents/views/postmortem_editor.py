"""What the postmortem editor shows: its header figures, sections, timeline, reviewers and
action items, read in the viewer's zone (each timeline entry in UTC too), with the forms the
viewer may use. Every postmortem page renders through `editor_page`, so a refused or invalid
POST comes back as the same page with its errors in place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from incidents.models import ActionItem, Postmortem, PostmortemEntry
from incidents.postmortem_access import (
    can_edit_postmortem,
    can_publish,
    can_review,
    postmortems_visible,
)
from incidents.postmortem_export import markdown_html
from incidents.postmortem_forms import ActionItemForm, EditorForm, EntryForm, ReviewForm
from incidents.postmortem_selectors import postmortem_detail
from incidents.postmortem_times import duration, local_and_utc
from incidents.views.web import viewer_zone
from oncall import clock, selectors
from oncall.web.layout import offset


@dataclass
class Instant:
    """An instant as the reader reads it: in their zone with its offset, and in UTC."""

    at: datetime
    local: str
    utc: str
    iso: str

    @classmethod
    def of(cls, at: datetime | None, zone) -> Instant | None:
        if at is None:
            return None
        local, utc = local_and_utc(at, zone)
        in_utc = getattr(zone, "key", "") in ("UTC", "Etc/UTC")  # say it once
        return cls(at=at, local=local, utc="" if in_utc else utc, iso=at.isoformat())


@dataclass
class EntryRow:
    entry: PostmortemEntry
    when: Instant
    url: str  # its own page, and where its buttons post


@dataclass
class ItemRow:
    item: ActionItem
    form: ActionItemForm | None


def postmortem_or_404(request, pk: int) -> Postmortem:
    """Return postmortem `pk` (and its team) if the viewer's teams hold it; a POST needs no more
    to act on it, and the editor reads the rest."""
    postmortem = postmortems_visible(request.user).select_related("team").filter(pk=pk).first()
    if postmortem is None:
        raise Http404("No such postmortem in your teams.")
    return postmortem


def refused(request, message: str):
    """Answer 403 with a page saying what the viewer may not do; nothing was changed."""
    context = {"heading": "You may not change this postmortem", "message": message}
    return render(request, "incidents/act_refused.html", context, status=403)


def errors_onto(form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form's fields it names (elsewhere: the form's)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, errors in error.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _entry_rows(postmortem, zone, *, may_edit: bool) -> list[EntryRow]:
    entries = reverse("incidents:postmortem-entry-new", args=[postmortem.pk])
    return [
        EntryRow(entry=entry, when=Instant.of(entry.at, zone), url=f"{entries}{entry.pk}/")
        for entry in postmortem.entries.all()
        if may_edit or not entry.hidden
    ]


def _item_rows(postmortem, owners, *, may_edit: bool, bound: dict) -> list[ItemRow]:
    rows = []
    for item in postmortem.action_items.all():
        form = None
        if may_edit:
            form = bound.get(f"item:{item.pk}") or ActionItemForm.of_item(
                item, owners=owners, prefix=f"item-{item.pk}"
            )
        rows.append(ItemRow(item=item, form=form))
    return rows


def _header(postmortem, zone) -> dict[str, Any]:
    return {
        "began": Instant.of(postmortem.began_at, zone),
        "acknowledged": Instant.of(postmortem.acknowledged_at, zone),
        "resolved": Instant.of(postmortem.resolved_at, zone),
        "published": Instant.of(postmortem.published_at, zone),
        "tta": duration(postmortem.time_to_acknowledge),
        "ttr": duration(postmortem.time_to_resolve),
    }


def _forms(postmortem, members, owners, *, bound: dict) -> dict[str, Any]:
    sections = list(postmortem.sections.all())
    initial = {"title": postmortem.title, "revision": postmortem.revision}
    return {
        "editor_form": bound.get("editor") or EditorForm(initial=initial, sections=sections),
        "entry_form": bound.get("entry") or EntryForm(prefix="new-entry"),
        "review_form": bound.get("review")
        or ReviewForm(
            members=members,
            initial={"reviewers": [r.person_id for r in postmortem.reviewers.all()]},
        ),
        "item_form": bound.get("item") or ActionItemForm(owners=owners, prefix="new-item"),
    }


def _written(postmortem) -> list[tuple[Any, str]]:
    """Return each section with its Markdown as safe HTML (raw HTML and unsafe links dropped)."""
    return [
        (section, mark_safe(markdown_html(section.body)))  # noqa: S308 - markdown_html escapes
        for section in postmortem.sections.all()
    ]


def editor_page(request, postmortem: Postmortem, *, status=200, problem="", bound=None):
    """Render the editor of `postmortem` for the viewer, as it is now (read whole, in a fixed
    number of queries): read-only but for what they may do.

    `bound` holds forms that came back with errors, by the names the page gives them ("editor",
    "entry", "review", "item", "item:<id>"); `problem` is a sentence shown above
    everything (a refused transition, a stale save)."""
    bound = bound or {}
    postmortem = postmortem_detail(postmortem_id=postmortem.pk, user=request.user)
    zone = viewer_zone(request)
    user = request.user
    published = postmortem.status == Postmortem.Status.PUBLISHED
    may_edit = can_edit_postmortem(user, postmortem)
    members = list(selectors.team_members(team_id=postmortem.team_id).order_by("display_name"))
    owners = [(person.pk, person.display_name) for person in members]
    person = getattr(user, "person", None)
    reviewers = list(postmortem.reviewers.all())
    context = {
        "postmortem": postmortem,
        "zone": zone,
        "zone_offset": offset(clock.now().astimezone(zone)),
        "problem": problem,
        "published": published,
        "may_edit": may_edit and not published,
        "may_edit_items": may_edit,
        "may_review": postmortem.status == Postmortem.Status.IN_REVIEW
        and can_review(user, postmortem),
        "may_publish": postmortem.status == Postmortem.Status.IN_REVIEW
        and can_publish(user, postmortem),
        "reviewers": reviewers,
        "approved_by_me": any(
            r.person_id == getattr(person, "pk", None) and r.approved_at for r in reviewers
        ),
        "entries": _entry_rows(postmortem, zone, may_edit=may_edit and not published),
        "items": _item_rows(postmortem, owners, may_edit=may_edit, bound=bound),
        "written": [] if may_edit and not published else _written(postmortem),
        **_header(postmortem, zone),
        **_forms(postmortem, members, owners, bound=bound),
    }
    with timezone.override(zone):
        return render(request, "incidents/postmortem_editor.html", context, status=status)
