"""The schedule pages: every schedule of the viewer's teams with who is on call now and next;
one schedule as a timeline (final, each layer, the overrides) by day, week or month in the
viewer's zone; creating and deleting overrides. Permissions are the API's (oncall/api/access.py):
another team's schedule is a 404, a viewer gets no controls and a 403 on POST."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, timedelta, tzinfo
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from oncall import absences, clock, selectors
from oncall.api.access import ADMIN, RANK, RESPONDER, team_roles
from oncall.models import Override, Schedule
from oncall.models.cover import GAP_AHEAD
from oncall.services import override_create, override_delete
from oncall.web import layout
from oncall.web.schedule_forms import OverrideForm

# Shifts are read this far around the window, so that one running across its edge is offered
# whole to "Cover this shift".
SHIFT_MARGIN = timedelta(days=7)


def viewer_zone(request) -> ZoneInfo:
    """Return the zone the viewer reads times in: their on-call profile's, else UTC."""
    person = getattr(request.user, "person", None)
    return ZoneInfo(person.time_zone if person else "UTC")


def _schedule(request, schedule_id: int) -> tuple[Schedule, str]:
    """Return the schedule and the viewer's role in its team; 404 when they hold none."""
    schedule = get_object_or_404(Schedule.objects.select_related("team"), pk=schedule_id)
    role = team_roles(request).get(schedule.team_id)
    if role is None:
        raise Http404("No such schedule.")
    return schedule, role


def _refused(request, message: str):
    context = {"heading": "You may not change this schedule", "message": message}
    return render(request, "oncall/refused.html", context, status=403)


@login_required
@require_GET
def schedule_list(request):
    """Show every schedule of the viewer's teams: who is on call now, until when, who is next."""
    schedules = Schedule.objects.filter(team_id__in=list(team_roles(request))).select_related(
        "team"
    )
    now = clock.now()
    context = {
        "now": now,
        "zone": viewer_zone(request),
        "summaries": selectors.oncall_now(at=now, schedules=schedules),
    }
    return render(request, "oncall/schedule_list.html", context)


@login_required
@require_GET
def schedule_detail(request, schedule_id: int):
    schedule, role = _schedule(request, schedule_id)
    zone = viewer_zone(request)
    prefill = {name: request.GET[name] for name in ("start", "end") if request.GET.get(name)}
    form = _override_form(schedule, role, request, initial=prefill) if _may_override(role) else None
    return _page(request, schedule, role, form, opened=bool(prefill), zone=zone)


@login_required
@require_POST
def override_create_web(request, schedule_id: int):
    """Put a member on call over the layers from Start to End (the viewer's wall clock)."""
    schedule, role = _schedule(request, schedule_id)
    if not _may_override(role):
        return _refused(request, "You need the responder role in the team to create overrides.")
    zone = viewer_zone(request)
    form = _override_form(schedule, role, request, data=request.POST)
    with timezone.override(zone):
        valid = form.is_valid()
    if valid:
        try:
            made = override_create(schedule=schedule, created_by=request.user, **form.cleaned_data)
        except ValidationError as invalid:
            for field, errors in invalid.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request,
                f"Override created: {made.person.display_name} is on call "
                f"{layout.span(made, zone)}.",
            )
            return redirect(_page_url(schedule, "week", made.start.astimezone(zone).date()))
    return _page(request, schedule, role, form, opened=True, zone=zone, status=400)


@login_required
@require_POST
def override_delete_web(request, schedule_id: int, override_id: int):
    """Delete an override: an admin of the team any, a responder those they created."""
    schedule, role = _schedule(request, schedule_id)
    override = get_object_or_404(Override, pk=override_id, schedule=schedule)
    if not _may_delete(request, role, override):
        return _refused(
            request,
            "An admin of the team deletes any override; a responder only those they created.",
        )
    override_delete(override=override)
    messages.success(request, "Override deleted: the layers decide again who is on call.")
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = _page_url(schedule, "week", None)
    return redirect(back)


def _may_override(role: str) -> bool:
    return RANK[role] >= RANK[RESPONDER]


def _may_delete(request, role: str, override: Override) -> bool:
    if role == ADMIN:
        return True
    return _may_override(role) and override.created_by_id == request.user.pk


def _override_form(schedule: Schedule, role: str, request, **kwargs) -> OverrideForm:
    return OverrideForm(
        members=selectors.team_members(team_id=schedule.team_id),
        visible=selectors.people_of_teams(team_ids=team_roles(request)),
        auto_id="override-%s",
        **kwargs,
    )


def _page_url(schedule: Schedule, view: str, day: date | None) -> str:
    query = {"view": view} | ({"date": day.isoformat()} if day else {})
    return f"{reverse('oncall:schedule-detail', args=[schedule.pk])}?{urlencode(query)}"


def _window(request, zone: tzinfo) -> layout.Window:
    view = request.GET.get("view")
    view = view if view in layout.VIEWS else layout.DEFAULT_VIEW
    try:
        day = date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        day = clock.now().astimezone(zone).date()
    return layout.window_of(view=view, day=day, zone=zone)


def _page(request, schedule, role, form, *, opened: bool, zone: ZoneInfo, status: int = 200):
    """Render the schedule's page over the window the query asks for."""
    window = _window(request, zone)
    rows = selectors.schedule_rows(
        schedule=schedule, since=window.start - SHIFT_MARGIN, until=window.end + SHIFT_MARGIN
    )
    final = layout.blocks(rows.final, window, zone)
    overrides = [
        override
        for override in rows.overrides
        if override.end > window.start and override.start < window.end
    ]
    override_shifts = [selectors.Shift(o.start, o.end, o.person) for o in overrides]
    here = (
        request.get_full_path()
        if request.method == "GET"
        else _page_url(schedule, window.view, window.day)
    )
    page_url = reverse("oncall:schedule-detail", args=[schedule.pk])
    me = getattr(request.user, "person", None)
    asks = me is not None and _may_override(role)
    now = clock.now()
    away = list(
        absences.schedule_time_off_between(schedule=schedule, since=window.start, until=window.end)
    )
    legend = {}
    for block in final:
        if block.shift.person is not None:
            legend.setdefault(block.shift.person.pk, block)
    context = {
        "schedule": schedule,
        "zone": zone,
        "window": window,
        "zone_offsets": " then ".join(
            dict.fromkeys(layout.offset(at.astimezone(zone)) for at in (window.start, window.end))
        ),
        "now": clock.now().astimezone(UTC),
        "days": layout.days(window, zone),
        "now_left": layout.now_at(window, clock.now()),
        "final": final,
        "layers": [(layer, layout.blocks(shifts, window, zone)) for layer, shifts in rows.layers],
        "override_blocks": layout.blocks(override_shifts, window, zone),
        "overrides": [
            (override, _may_delete(request, role, override), layout.span(override, zone))
            for override in overrides
        ],
        "shifts": [
            (
                block,
                layout.span(block.shift, zone, named=False),
                _their_time(block.shift, zone),
                _cover_url(page_url, window, block, zone),
                _ask_url(schedule, block, me, zone) if asks else "",
            )
            for block in final
        ],
        "cover_gaps": [
            (gap, layout.span(gap, zone))
            for gap in selectors.cover_gaps(team_ids=[schedule.team_id], now=now, ahead=GAP_AHEAD)
            if gap.schedule_id == schedule.pk
        ],
        "away": [(time_off.person, layout.span(time_off, zone)) for time_off in away],
        "away_rows": _away_rows(away, window, zone),
        "legend": list(legend.values()),
        "has_gaps": any(block.is_gap for block in final),
        "views": layout.VIEWS,
        "form": form,
        "may_edit_layers": role == ADMIN,
        "opened": opened or bool(form and form.errors),
        "here": here,
        "links": {
            "previous": _page_url(schedule, window.view, window.previous),
            "following": _page_url(schedule, window.view, window.following),
            "today": _page_url(schedule, window.view, None),
        },
    }
    return render(request, "oncall/schedule_detail.html", context, status=status)


def _away_rows(away, window, zone: ZoneInfo) -> list[tuple]:
    """Return a row per person away in the window: (person, the blocks of their time off)."""
    by_person = {}
    for time_off in away:
        shift = selectors.Shift(time_off.start, time_off.end, time_off.person)
        by_person.setdefault(time_off.person, []).append(shift)
    return [
        (
            person,
            [
                replace(block, title=f"Away, {block.title}")
                for block in layout.blocks(shifts, window, zone)
            ],
        )
        for person, shifts in by_person.items()
    ]


def _their_time(shift, zone: ZoneInfo) -> str:
    """Return the shift in its person's own zone, when that is not the viewer's."""
    if shift.person is None or shift.person.time_zone == zone.key:
        return ""
    return layout.span(shift, ZoneInfo(shift.person.time_zone))


def _ask_url(schedule: Schedule, block, me, zone) -> str:
    """Return where to ask for cover for a shift of mine not over yet, else ""."""
    shift = block.shift
    if shift.person is None or shift.person.pk != me.pk or shift.end <= clock.now():
        return ""
    query = {
        "start": layout.local_input(max(shift.start, clock.now()), zone),
        "end": layout.local_input(shift.end, zone),
    }
    return f"{reverse('oncall:cover-ask', args=[schedule.pk])}?{urlencode(query)}"


def _cover_url(page_url: str, window, block, zone) -> str:
    query = {
        "view": window.view,
        "date": window.day.isoformat(),
        "start": layout.local_input(block.shift.start, zone),
        "end": layout.local_input(block.shift.end, zone),
    }
    return f"{page_url}?{urlencode(query)}#override"
