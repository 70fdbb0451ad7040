"""The editor's smaller forms, each a plain POST answered by the editor again: timeline entries
(add by hand, edit, hide, unhide, delete one added by hand), the review (ask reviewers,
approve, return to draft, publish) and action items (add, edit, delete). A POST the viewer may
not make is a 403 that changes nothing; a refused transition or a field error comes back on the
editor, in place."""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from incidents.postmortem_access import can_edit_postmortem, can_publish, can_review
from incidents.postmortem_forms import ActionItemForm, EntryForm, ReviewForm
from incidents.services.postmortems import (
    PostmortemError,
    action_item_create,
    action_item_delete,
    action_item_update,
    entry_add,
    entry_delete,
    entry_update,
    postmortem_approve,
    postmortem_publish,
    postmortem_redraft,
    postmortem_request_review,
    postmortem_return_to_draft,
)
from incidents.views.postmortem_editor import (
    Instant,
    editor_page,
    errors_onto,
    postmortem_or_404,
    refused,
)
from incidents.views.web import viewer_zone
from oncall import clock, selectors
from oncall.models import Person

NOT_EDITOR = "Changing a postmortem needs the responder or admin role in its team."


def _back(postmortem, anchor: str, said: str, request):
    messages.success(request, said)
    return redirect(f"{reverse('incidents:postmortem-detail', args=[postmortem.pk])}#{anchor}")


def _act(request, postmortem, call, *, anchor: str, said: str, form=None, key=None, page=None):
    """Run `call()`; answer the refusal on the editor, or the errors in place (on `page(form)`
    if given, else on the editor with the form bound as `key`): nothing was stored. Else go
    back to the editor at `anchor` saying `said`."""
    try:
        call()
    except PostmortemError as error:
        return editor_page(request, postmortem, status=409, problem=f"{error} Nothing was changed.")
    except ValidationError as error:
        if form is None:
            problem = f"{' '.join(error.messages)} Nothing was changed."
            return editor_page(request, postmortem, status=400, problem=problem)
        errors_onto(form, error)
        if page is not None:
            return page(form)
        return editor_page(request, postmortem, status=400, bound={key: form})
    return _back(postmortem, anchor, said, request)


def _common(request, pk: int):
    return postmortem_or_404(request, pk), getattr(request.user, "person", None), clock.now()


def _entry_form(request, prefix: str) -> tuple[EntryForm, bool]:
    form = EntryForm(request.POST, prefix=prefix)
    with timezone.override(viewer_zone(request)):  # "When" is read in the viewer's zone
        return form, form.is_valid()


@login_required
@require_POST
def entry_new(request, pk: int):
    postmortem, by, now = _common(request, pk)
    if not can_edit_postmortem(request.user, postmortem):
        return refused(request, f"{NOT_EDITOR} Nothing was changed.")
    form, valid = _entry_form(request, "new-entry")
    if not valid:
        return editor_page(request, postmortem, status=400, bound={"entry": form})
    data = form.cleaned_data
    return _act(
        request,
        postmortem,
        partial(entry_add, postmortem=postmortem, by=by, now=now, at=data["at"], text=data["text"]),
        anchor="timeline",
        said="Entry added to the timeline.",
        form=form,
        key="entry",
    )


def _entry_page(request, postmortem, entry, form, status=200):
    zone = viewer_zone(request)
    context = {"postmortem": postmortem, "entry": entry, "form": form, "zone": zone}
    context["when"] = Instant.of(entry.at, zone)
    with timezone.override(zone):
        return render(request, "incidents/postmortem_entry.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def entry_change(request, pk: int, entry_pk: int):
    """Show an entry's form; save its time and text, hide it, unhide it, or delete one added by
    hand, as the button posted ("op": save, hide, unhide, delete) says."""
    postmortem, by, now = _common(request, pk)
    entry = get_object_or_404(postmortem.entries.all(), pk=entry_pk)
    if not can_edit_postmortem(request.user, postmortem):
        return refused(request, f"{NOT_EDITOR} Nothing was changed.")
    prefix = f"entry-{entry.pk}"
    if request.method == "GET":
        form = EntryForm(initial={"at": entry.at, "text": entry.text}, prefix=prefix)
        return _entry_page(request, postmortem, entry, form)
    op = request.POST.get("op", "save")
    if op in ("hide", "unhide"):
        call = partial(entry_update, entry=entry, by=by, now=now, hidden=op == "hide")
        said = "Entry hidden from the postmortem." if op == "hide" else "Entry shown again."
        return _act(request, postmortem, call, anchor=f"entry-{entry.pk}", said=said)
    if op == "delete":
        call = partial(entry_delete, entry=entry, by=by, now=now)
        return _act(request, postmortem, call, anchor="timeline", said="Entry deleted.")
    form, valid = _entry_form(request, prefix)
    page = partial(_entry_page, request, postmortem, entry, status=400)
    if not valid:
        return page(form)
    at, text = form.cleaned_data["at"], form.cleaned_data["text"]
    if at == entry.at.replace(microsecond=0):  # the form shows whole seconds: time unchanged
        at = None
    if text == entry.text:
        text = None
    call = partial(entry_update, entry=entry, by=by, now=now, at=at, text=text)
    return _act(
        request,
        postmortem,
        call,
        anchor=f"entry-{entry.pk}",
        said="Entry saved.",
        form=form,
        page=page,
    )


@login_required
@require_POST
def review_request(request, pk: int):
    postmortem, by, now = _common(request, pk)
    if not can_edit_postmortem(request.user, postmortem):
        return refused(request, f"{NOT_EDITOR} Nothing was changed.")
    members = list(selectors.team_members(team_id=postmortem.team_id))
    form = ReviewForm(request.POST, members=members)
    if not form.is_valid():
        return editor_page(request, postmortem, status=400, bound={"review": form})
    chosen = [p for p in members if p.pk in form.cleaned_data["reviewers"]]
    call = partial(
        postmortem_request_review, postmortem=postmortem, by=by, now=now, reviewers=chosen
    )
    said = f"Review asked of {', '.join(p.display_name for p in chosen)}."
    return _act(request, postmortem, call, anchor="review", said=said, form=form, key="review")


TRANSITIONS = {
    "redraft": (
        can_edit_postmortem,
        postmortem_redraft,
        "The timeline now holds what the incidents' record gained since it was drafted.",
        NOT_EDITOR,
    ),
    "approve": (
        can_review,
        postmortem_approve,
        "You approved this postmortem.",
        "Only the reviewers asked may approve a postmortem.",
    ),
    "return": (
        can_edit_postmortem,
        postmortem_return_to_draft,
        "Returned to draft: it can be edited again.",
        NOT_EDITOR,
    ),
    "publish": (
        can_publish,
        postmortem_publish,
        "Published. From now on only its action items change.",
        "Publishing needs every reviewer's approval, or the admin role in the team.",
    ),
}


@login_required
@require_POST
def review_step(request, pk: int, step: str):
    """Approve, return to draft, publish, or bring the timeline up to date with the record, as
    `step` says."""
    postmortem, by, now = _common(request, pk)
    allowed, service, said, refusal = TRANSITIONS[step]
    if not allowed(request.user, postmortem):
        return refused(request, f"{refusal} Nothing was changed.")
    call = partial(service, postmortem=postmortem, by=by, now=now)
    anchor = "timeline" if step == "redraft" else "review"
    return _act(request, postmortem, call, anchor=anchor, said=said)


def _owners(postmortem) -> list[tuple[int, str]]:
    members = selectors.team_members(team_id=postmortem.team_id)
    return [(person.pk, person.display_name) for person in members]


def _item_changes(form: ActionItemForm) -> dict:
    """Return the form's fields as the services take them (the owner a Person, who is one of
    the team's members: the form offers no one else)."""
    data = dict(form.cleaned_data)
    owner = data.pop("owner")
    data["owner"] = Person.objects.filter(pk=owner).first() if owner else None
    if not data["status"]:  # the add form has no status: a new item is open
        del data["status"]
    return data


@login_required
@require_POST
def item_new(request, pk: int):
    postmortem, by, now = _common(request, pk)
    if not can_edit_postmortem(request.user, postmortem):
        return refused(request, f"{NOT_EDITOR} Nothing was changed.")
    form = ActionItemForm(request.POST, owners=_owners(postmortem), prefix="new-item")
    if not form.is_valid():
        return editor_page(request, postmortem, status=400, bound={"item": form})
    data = _item_changes(form)
    data.pop("status", None)  # a new item is open
    call = partial(action_item_create, postmortem=postmortem, by=by, now=now, **data)
    said = f"Action item added: {data['title']}."
    return _act(request, postmortem, call, anchor="action-items", said=said, form=form, key="item")


@login_required
@require_POST
def item_change(request, pk: int, item_pk: int):
    """Save an action item's fields, or delete it ("op": delete)."""
    postmortem, by, now = _common(request, pk)
    item = get_object_or_404(postmortem.action_items.all(), pk=item_pk)
    if not can_edit_postmortem(request.user, postmortem):
        return refused(request, f"{NOT_EDITOR} Nothing was changed.")
    if request.POST.get("op") == "delete":
        call = partial(action_item_delete, item=item, by=by, now=now)
        said = f"Action item deleted: {item.title}."
        return _act(request, postmortem, call, anchor="action-items", said=said)
    prefix, key = f"item-{item.pk}", f"item:{item.pk}"
    form = ActionItemForm(request.POST, owners=_owners(postmortem), prefix=prefix)
    if not form.is_valid():
        return editor_page(request, postmortem, status=400, bound={key: form})
    data = _item_changes(form)
    call = partial(action_item_update, item=item, by=by, now=now, **data)
    said = f"Action item saved: {data['title']}."
    return _act(request, postmortem, call, anchor=f"item-{item.pk}", said=said, form=form, key=key)
