"""Editing a schedule's layers from its page (team admins): a layer's name, members in turn
order, turn length, handoff (on the viewer's clock), zone and restrictions; a preview of the
final schedule over the next two weeks as it would be, built in memory from the form and
nothing saved; then one service call saves the layer whole, or the errors show in place.

Members and restriction rows are edited by plain form posts (add, remove, move up or down) that
re-render the page with what was typed kept; Preview swaps the editor with htmx, and works as a
plain post too. Permissions are the API's: another team's schedule is a 404, anyone below admin
a 403."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from oncall import clock, selectors
from oncall.api.access import ADMIN, team_roles
from oncall.models import Layer, Person, Schedule
from oncall.services import LayerSpec, layer_create, layer_delete, layer_update
from oncall.services.layers import layers_build
from oncall.web import layout
from oncall.web.forms import time_zones
from oncall.web.layer_forms import LayerForm, RestrictionForm, restriction_row
from oncall.web.schedules import _refused, _schedule, viewer_zone

PREVIEW_DAYS = 14
NOT_LISTED = "Choose one of the people listed."
WHO_MAY = "You need the admin role in the team to change its layers."


@dataclass
class Draft:
    """The layer as the form holds it: raw field values, the members in turn order, the raw
    restriction rows; `unknown` when a posted member is no one the viewer may see."""

    fields: dict[str, str]
    participants: list[Person]
    restrictions: list[dict[str, str]] = field(default_factory=list)
    unknown: bool = False


def _stored(layer: Layer, zone: ZoneInfo) -> Draft:
    return Draft(
        fields={
            "name": layer.name,
            "turn_count": str(layer.turn_count),
            "turn_unit": layer.turn_unit,
            "handoff": layout.local_input(layer.handoff, zone),
            "time_zone": layer.time_zone,
        },
        participants=[member.person for member in layer.members.all()],
        restrictions=[restriction_row(r) for r in layer.restrictions.all()],
    )


def _fresh(zone: ZoneInfo) -> Draft:
    today = clock.now().astimezone(zone).date()
    midnight = datetime(today.year, today.month, today.day, tzinfo=zone)
    return Draft(
        fields={
            "name": "",
            "turn_count": "1",
            "turn_unit": Layer.TurnUnit.WEEKS,
            "handoff": layout.local_input(midnight, zone),
            "time_zone": zone.key,
        },
        participants=[],
    )


def _posted(post, visible: dict[int, Person]) -> Draft:
    people, unknown = [], False
    for value in post.getlist("participants"):
        person = visible.get(int(value)) if value.isdigit() else None
        if person is None:
            unknown = True
        else:
            people.append(person)
    columns = [post.getlist(f"r-{name}") for name in RestrictionForm.FIELDS]
    rows = [
        dict(zip(RestrictionForm.FIELDS, values, strict=True))
        for values in zip(*columns, strict=False)
    ]
    return Draft(
        fields={name: post.get(name, "") for name in LayerForm.base_fields},
        participants=people,
        restrictions=rows,
        unknown=unknown,
    )


def _edit(draft: Draft, action: str, post, members: list[Person]) -> None:
    """Apply an editing button (add, remove or move a member; add or remove a restriction)."""
    verb, _, index = action.partition(":")
    at = int(index) if index.isdigit() else -1
    people = draft.participants
    if verb == "add-member":
        chosen = post.get("add_person", "")
        found = [p for p in members if str(p.pk) == chosen]
        people.extend(found)
    elif verb == "remove-member" and 0 <= at < len(people):
        del people[at]
    elif verb == "up" and 0 < at < len(people):
        people[at - 1], people[at] = people[at], people[at - 1]
    elif verb == "down" and 0 <= at < len(people) - 1:
        people[at], people[at + 1] = people[at + 1], people[at]
    elif verb == "add-restriction":
        draft.restrictions.append({"kind": "daily", "start_time": "09:00", "end_time": "17:00"})
    elif verb == "remove-restriction" and 0 <= at < len(draft.restrictions):
        del draft.restrictions[at]


@dataclass
class Editor:
    """The bound (or, after an editing button, unbound) forms of a draft, and its errors."""

    form: LayerForm
    rows: list[RestrictionForm]
    participant_errors: list[str] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return bool(
            self.form.errors or self.participant_errors or any(row.errors for row in self.rows)
        )

    def absorb(self, errors: dict[str, list[str]]) -> None:
        """Put the service's errors, by field, on the fields they name."""
        for name, found in errors.items():
            if name == "participants":
                self.participant_errors.extend(found)
            elif name.startswith("restrictions[") and name.endswith("]"):
                index = name[len("restrictions[") : -1]
                if index.isdigit() and int(index) < len(self.rows):
                    self.rows[int(index)].add_error(None, found)
                else:
                    self.form.add_error(None, found)
            elif name in self.form.fields and name in self.form.cleaned_data:
                self.form.add_error(name, found)
            else:
                self.form.add_error(None, found)


def _forms(draft: Draft, *, bound: bool) -> Editor:
    def row(index: int, values: dict[str, str]) -> RestrictionForm:
        kwargs = {"prefix": "r", "auto_id": f"restriction-{index}-%s"}
        if bound:
            return RestrictionForm(data={f"r-{k}": v for k, v in values.items()}, **kwargs)
        return RestrictionForm(initial=values, **kwargs)

    form = (
        LayerForm(data=draft.fields, auto_id="layer-%s")
        if bound
        else LayerForm(initial=draft.fields, auto_id="layer-%s")
    )
    return Editor(form=form, rows=[row(i, values) for i, values in enumerate(draft.restrictions)])


def _preview_window(zone: ZoneInfo) -> layout.Window:
    today = clock.now().astimezone(zone).date()
    last = today + timedelta(days=PREVIEW_DAYS - 1)
    start = datetime(today.year, today.month, today.day, tzinfo=zone)
    following = last + timedelta(days=1)
    return layout.Window(
        view="two weeks",
        day=today,
        start=start,
        end=datetime(following.year, following.month, following.day, tzinfo=zone),
        previous=today,
        following=following,
        label=f"{today.day} {today:%b} – {last.day} {last:%b %Y}",
    )


@login_required
def layer_new(request, schedule_id: int):
    """Add a layer on top of the schedule's others."""
    return _layer_page(request, schedule_id, None)


@login_required
def layer_edit(request, schedule_id: int, layer_id: int):
    """Change a layer of the schedule."""
    return _layer_page(request, schedule_id, layer_id)


def _layer_page(request, schedule_id: int, layer_id: int | None):
    schedule, role = _schedule(request, schedule_id)
    layer = None
    if layer_id is not None:
        layer = get_object_or_404(
            Layer.objects.prefetch_related("members__person", "restrictions"),
            pk=layer_id,
            schedule=schedule,
        )
        layer.schedule = schedule
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    if role != ADMIN:
        return _refused(request, WHO_MAY)
    zone = viewer_zone(request)
    if request.method == "GET":
        draft = _stored(layer, zone) if layer else _fresh(zone)
        return _render(request, schedule, layer, draft, _forms(draft, bound=False), zone)

    members = list(selectors.team_members(team_id=schedule.team_id))
    visible = selectors.people_of_teams(team_ids=team_roles(request)).in_bulk()
    draft = _posted(request.POST, visible)
    action = request.POST.get("do", "preview")
    if action not in ("preview", "save"):
        _edit(draft, action, request.POST, members)
        return _render(request, schedule, layer, draft, _forms(draft, bound=False), zone)

    editor = _forms(draft, bound=True)
    with timezone.override(zone):
        valid = [part.is_valid() for part in (editor.form, *editor.rows)]
    if draft.unknown:
        editor.participant_errors.append(NOT_LISTED)
    preview = None
    if all(valid) and not draft.unknown:
        written = {
            **editor.form.cleaned_data,
            "participants": draft.participants,
            "restrictions": [row.spec() for row in editor.rows],
        }
        if action == "save":
            try:
                if layer is None:
                    saved = layer_create(schedule=schedule, **written)
                else:
                    saved = layer_update(layer=layer, **written)
            except ValidationError as refused:
                editor.absorb(_by_field(refused))
            else:
                return _saved(request, schedule, saved, created=layer is None)
        else:
            preview = _preview(schedule, layer, written, editor, zone)
    status = 400 if editor.has_errors else 200
    return _render(request, schedule, layer, draft, editor, zone, preview=preview, status=status)


def _by_field(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return error.message_dict
    return {"__all__": error.messages}


def _preview(schedule: Schedule, layer: Layer | None, written: dict, editor: Editor, zone):
    """Check the draft as the service would, and draw the schedule with it; nothing is saved."""
    others = schedule.layers.all() if layer is None else schedule.layers.exclude(pk=layer.pk)
    taken = set(others.values_list("position", flat=True))
    kept = {}  # what the form does not edit stays as it is, as layer_update keeps it
    if layer is not None:
        kept = {
            "position": layer.position,
            "active_from": layer.active_from,
            "active_until": layer.active_until,
        }
    spec = LayerSpec(**written, **kept)
    built, errors = layers_build(schedule, [spec], taken=taken, prefix="")
    if errors:
        editor.absorb(errors)
        return None
    draft_layer = built[0][0]
    window = _preview_window(zone)
    found = selectors.layer_preview(
        schedule=schedule,
        since=window.start,
        until=window.end,
        layer=draft_layer,
        participants=spec.participants,
        restrictions=spec.restrictions,
        replacing=None if layer is None else layer.pk,
    )
    preview = layout.blocks(found.preview, window, zone)
    changes = _changes(found.current, preview)
    return {
        "window": window,
        "days": layout.days(window, zone),
        "current": layout.blocks(found.current, window, zone),
        "preview": preview,
        "layer": layout.blocks(found.layer, window, zone),
        "shifts": [(block, layout.span(block.shift, zone, named=False)) for block in preview],
        "changes": [
            (block, layout.span(block.shift, zone, named=False), instead)
            for block, instead in changes
        ],
        "changed": bool(changes),
    }


def _changes(current: list[selectors.Shift], preview: list[layout.Block]) -> list[tuple]:
    """Return the previewed shifts that are not in the current schedule, each with the names of
    who is on call there now ("nobody" for a gap)."""
    kept = {(s.start, s.end, s.person) for s in current}
    found = []
    for block in preview:
        shift = block.shift
        if (shift.start, shift.end, shift.person) in kept:
            continue
        there = dict.fromkeys(
            c.person.display_name if c.person else "nobody"
            for c in current
            if c.start < shift.end and shift.start < c.end and c.person != shift.person
        )
        found.append((block, ", ".join(there)))
    return found


def _saved(request, schedule: Schedule, layer: Layer, *, created: bool):
    verb = "added" if created else "saved"
    messages.success(
        request, f"Layer {verb}: {layer.name}. The schedule below shows who is on call with it."
    )
    url = reverse("oncall:schedule-detail", args=[schedule.pk])
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _render(request, schedule, layer, draft, editor, zone, *, preview=None, status=200):
    members = list(selectors.team_members(team_id=schedule.team_id))
    now = clock.now()
    context = {
        "schedule": schedule,
        "layer": layer,
        "zone": zone,
        "zone_offset": layout.offset(now.astimezone(zone)),
        "form": editor.form,
        "rows": editor.rows,
        "participants": draft.participants,
        "participant_errors": editor.participant_errors,
        "addable": members,
        "time_zones": time_zones(),
        "preview": preview,
        "has_errors": editor.has_errors,
        "action": (
            reverse("oncall:schedule-layer-edit", args=[schedule.pk, layer.pk])
            if layer
            else reverse("oncall:schedule-layer-new", args=[schedule.pk])
        ),
    }
    template = "oncall/layer_edit.html"
    if request.headers.get("HX-Request") and not request.headers.get("HX-Boosted"):
        template = "oncall/layer_editor.html"
    return render(request, template, context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def layer_delete_web(request, schedule_id: int, layer_id: int):
    """Ask, then delete the layer with its members and restrictions (team admins)."""
    schedule, role = _schedule(request, schedule_id)
    layer = get_object_or_404(
        Layer.objects.prefetch_related("members__person"), pk=layer_id, schedule=schedule
    )
    if role != ADMIN:
        return _refused(request, WHO_MAY)
    if request.method == "GET":
        context = {"schedule": schedule, "layer": layer}
        return render(request, "oncall/layer_delete.html", context)
    name = layer.name
    layer_delete(layer=layer)
    messages.success(request, f"Layer deleted: {name}. The layers left decide who is on call.")
    return redirect("oncall:schedule-detail", schedule.pk)
