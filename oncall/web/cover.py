"""Asking for cover: a person asks the team to take (part of) one of their shifts; a request's
page offers "Take this shift" to the other responders and admins of the team, "Withdraw" to the
asker; /cover/ lists the open requests of the viewer's teams, those starting within 48 hours as
coming gaps. Permissions are the API's: another team's request is a 404, a viewer gets no
controls and a 403 on POST."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from oncall import clock, selectors
from oncall.api.access import RANK, RESPONDER, team_roles
from oncall.models import CoverRequest
from oncall.models.cover import GAP_AHEAD
from oncall.services import (
    CoverRefused,
    cover_request_create,
    cover_request_take,
    cover_request_withdraw,
)
from oncall.web import layout
from oncall.web.cover_forms import CoverRequestForm
from oncall.web.schedules import _schedule, viewer_zone


def _refused(request, message: str):
    context = {"heading": "You may not do this", "message": message}
    return render(request, "oncall/refused.html", context, status=403)


def _responder(role: str | None) -> bool:
    return role is not None and RANK[role] >= RANK[RESPONDER]


def _cover(request, cover_id: int) -> tuple[CoverRequest, str]:
    found = get_object_or_404(
        CoverRequest.objects.select_related(
            "schedule__team", "asker", "taken_by", "trade_with", "override"
        ),
        pk=cover_id,
    )
    role = team_roles(request).get(found.schedule.team_id)
    if role is None:
        raise Http404("No such cover request.")
    return found, role


@login_required
def cover_list(request):
    """Show the open requests of the viewer's teams, the coming gaps first."""
    now = clock.now()
    zone = viewer_zone(request)
    open_requests = (
        CoverRequest.objects.filter(
            schedule__team_id__in=list(team_roles(request)),
            status=CoverRequest.Status.OPEN,
            end__gt=now,
        )
        .select_related("schedule", "asker", "trade_with")
        .order_by("start", "pk")
    )
    rows = [
        (cover, layout.span(cover, zone), cover.start < now + GAP_AHEAD) for cover in open_requests
    ]
    context = {"zone": zone, "rows": rows, "gaps": sum(1 for row in rows if row[2])}
    return render(request, "oncall/cover_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def cover_ask(request, schedule_id: int):
    """Ask the schedule's team to cover (part of) one of my shifts."""
    schedule, role = _schedule(request, schedule_id)
    person = getattr(request.user, "person", None)
    if not _responder(role) or person is None:
        return _refused(request, "You need the responder role in the team to ask for cover.")
    zone = viewer_zone(request)
    teammates = selectors.team_members(team_id=schedule.team_id).exclude(pk=person.pk)
    if request.method == "GET":
        initial = {name: request.GET[name] for name in ("start", "end") if request.GET.get(name)}
        form = CoverRequestForm(teammates=teammates, initial=initial, auto_id="cover-%s")
        return _ask_page(request, schedule, form, zone)
    form = CoverRequestForm(request.POST, teammates=teammates, auto_id="cover-%s")
    with timezone.override(zone):
        valid = form.is_valid()
    if valid:
        try:
            made = cover_request_create(
                schedule=schedule, asker=person, created_by=request.user, **form.cleaned_data
            )
        except ValidationError as invalid:
            for field, errors in invalid.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, "Cover requested: your teammates have been told.")
            return redirect("oncall:cover-detail", made.pk)
    return _ask_page(request, schedule, form, zone, status=400)


def _ask_page(request, schedule, form, zone, status: int = 200):
    context = {"schedule": schedule, "form": form, "zone": zone}
    return render(request, "oncall/cover_ask.html", context, status=status)


@login_required
def cover_detail(request, cover_id: int):
    cover, role = _cover(request, cover_id)
    return _detail_page(request, cover, role)


def _detail_page(request, cover, role, status: int = 200):
    zone = viewer_zone(request)
    person = getattr(request.user, "person", None)
    is_asker = person is not None and person.pk == cover.asker_id
    is_open = cover.status == CoverRequest.Status.OPEN
    may_take = (
        is_open
        and _responder(role)
        and person is not None
        and not is_asker
        and (not cover.is_trade or cover.trade_with_id == person.pk)
    )
    context = {
        "cover": cover,
        "zone": zone,
        "when": layout.span(cover, zone),
        "theirs": (
            layout.span(cover, ZoneInfo(cover.asker.time_zone))
            if cover.asker.time_zone != zone.key
            else ""
        ),
        "trade_when": (
            layout.span(selectors.Shift(cover.trade_start, cover.trade_end, None), zone)
            if cover.is_trade
            else ""
        ),
        "may_take": may_take,
        "may_withdraw": is_open and is_asker,
        "is_gap": is_open and cover.start < clock.now() + GAP_AHEAD,
    }
    return render(request, "oncall/cover_detail.html", context, status=status)


@login_required
@require_POST
def cover_take(request, cover_id: int):
    """Take the shift: the first to press gets the override; a later taker is told who won."""
    cover, role = _cover(request, cover_id)
    person = getattr(request.user, "person", None)
    if not _responder(role) or person is None:
        return _refused(request, "You need the responder role in the team to take a shift.")
    try:
        cover_request_take(request=cover, taker=person, taken_by=request.user)
    except CoverRefused as refused:
        messages.error(request, refused.message)
        cover.refresh_from_db()
        return _detail_page(request, cover, role, status=409)
    except ValidationError as invalid:
        messages.error(request, " ".join(invalid.messages))
        cover.refresh_from_db()
        return _detail_page(request, cover, role, status=409)
    messages.success(
        request, f"You took the shift: you are on call for {cover.schedule.name} then."
    )
    return redirect("oncall:cover-detail", cover.pk)


@login_required
@require_POST
def cover_withdraw(request, cover_id: int):
    """Withdraw my request: nobody can take it any more."""
    cover, role = _cover(request, cover_id)
    person = getattr(request.user, "person", None)
    if person is None or person.pk != cover.asker_id:
        return _refused(request, "Only the person who asked can withdraw a cover request.")
    try:
        cover_request_withdraw(request=cover)
    except CoverRefused as refused:
        messages.error(request, refused.message)
        cover.refresh_from_db()
        return _detail_page(request, cover, role, status=409)
    messages.success(request, "Request withdrawn: nobody can take it now.")
    return redirect("oncall:cover-detail", cover.pk)
