"""The team pages: the viewer's teams, and one team's members with their roles and time zones.
A team admin adds an existing person they can see, changes a member's role or takes them out,
each through oncall/services/teams.py; its refusals (the last admin, someone still in a layer)
are shown on the page. Permissions are the API's: another team is a 404, a role below admin sees
no controls and gets a 403 on POST."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from oncall import clock, services
from oncall.api.access import ADMIN, team_allows, team_roles
from oncall.api.base import visible_people
from oncall.models import Membership, Person, Team
from oncall.web.forms import absorb
from oncall.web.panels import team_panels

Role = Membership.Role


class MemberAddForm(forms.Form):
    person = forms.ModelChoiceField(
        label="Person",
        queryset=Person.objects.none(),
        empty_label="Choose a person",
        error_messages={"invalid_choice": "Choose one of the people listed."},
    )
    role = forms.ChoiceField(label="Role", choices=Role.choices, initial=Role.RESPONDER)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people
        self.fields["person"].label_from_instance = lambda p: (
            f"{p.display_name} ({p.user.username})"
        )


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class RestProtectionForm(forms.Form):
    """Rest protection's two settings; a blank field turns its half off."""

    rest_after_sleep_pages = forms.IntegerField(
        label="Offer the next night after this many sleep-hours pages",
        required=False,
        min_value=1,
        max_value=100,
        help_text="After a night in which someone was paged this many times or more in their own "
        "sleep hours (22:00 to 08:00 their time; an SMS and the call after it count once), "
        "their next night on call is offered to the team as a cover request. Blank: off.",
    )
    rest_notice_nights = forms.IntegerField(
        label="Tell the manager after this many nights woken in 7",
        required=False,
        min_value=1,
        max_value=7,
        help_text="The team's manager is told when someone has been woken on this many of the "
        "last 7 nights (1 to 7), at most once a week per person. Blank: off.",
    )


def _team(request, team_id: int) -> Team:
    """Return the team if the viewer holds a role in it; else 404."""
    if team_id not in team_roles(request):
        raise Http404("No such team in your teams.")
    return get_object_or_404(Team.objects.select_related("manager"), pk=team_id)


def _refused(request, what: str):
    message = f"You need the admin role in the team to {what}. Nothing was changed."
    context = {"heading": "You may not change this team", "message": message}
    return render(request, "oncall/refused.html", context, status=403)


def _offset(zone: str, now: datetime) -> str:
    """Return the zone's UTC offset now, as "UTC+01:00"."""
    offset = now.astimezone(ZoneInfo(zone)).strftime("%z")
    return f"UTC{offset[:3]}:{offset[3:]}"


def _addable(request, team: Team):
    return (
        visible_people(request)
        .filter(user__is_active=True)
        .exclude(memberships__team=team)
        .select_related("user")
        .order_by("display_name")
    )


@login_required
@require_GET
def team_list(request):
    """List the viewer's teams with their number of members and the viewer's role."""
    roles = team_roles(request)
    teams = Team.objects.filter(pk__in=list(roles)).annotate(members_count=Count("memberships"))
    rows = [{"team": team, "role": Role(roles[team.pk]).label} for team in teams]
    return render(request, "oncall/team_list.html", {"rows": rows})


def _page(request, team: Team, *, add_form=None, rest_form=None, status: int = 200):
    now = clock.now()
    may_admin = team_allows(request, team.pk, ADMIN)
    memberships = team.memberships.select_related("person__user").order_by("person__display_name")
    members = [
        {
            "membership": m,
            "offset": _offset(m.person.time_zone, now),
            "local": f"{now.astimezone(ZoneInfo(m.person.time_zone)):%H:%M}",
        }
        for m in memberships
    ]
    if may_admin and add_form is None:
        add_form = MemberAddForm(people=_addable(request, team), auto_id="member-%s")
    if may_admin and rest_form is None:
        rest_form = RestProtectionForm(
            initial={
                "rest_after_sleep_pages": team.rest_after_sleep_pages,
                "rest_notice_nights": team.rest_notice_nights,
            },
            auto_id="rest-%s",
        )
    context = {
        "team": team,
        "members": members,
        "may_admin": may_admin,
        "add_form": add_form if may_admin else None,
        "rest_form": rest_form if may_admin else None,
        "roles": Role.choices,
        "panels": team_panels(request=request, team=team, now=now),
    }
    return render(request, "oncall/team_detail.html", context, status=status)


@login_required
@require_GET
def team_detail(request, team_id: int):
    """Show a team's members with their roles and time zones."""
    return _page(request, _team(request, team_id))


@login_required
@require_POST
def member_add(request, team_id: int):
    """Add an existing person the admin can see to the team, with a role."""
    team = _team(request, team_id)
    if not team_allows(request, team.pk, ADMIN):
        return _refused(request, "add members")
    form = MemberAddForm(request.POST, people=_addable(request, team), auto_id="member-%s")
    if form.is_valid():
        try:
            membership = services.team_member_add(team=team, **form.cleaned_data)
        except ValidationError as error:
            absorb(form, error)
        else:
            messages.success(
                request,
                f"Added {membership.person.display_name} to {team.name} as "
                f"{membership.get_role_display().lower()}.",
            )
            return redirect("oncall:team-detail", team_id=team.pk)
    return _page(request, team, add_form=form, status=400)


def _membership(request, team_id: int, person_id: int, what: str):
    team = _team(request, team_id)
    if not team_allows(request, team.pk, ADMIN):
        return team, None, _refused(request, what)
    membership = get_object_or_404(
        team.memberships.select_related("person", "team"), person_id=person_id
    )
    return team, membership, None


@login_required
@require_POST
def member_role(request, team_id: int, person_id: int):
    """Give a member another role; the team's last admin stays one."""
    team, membership, refusal = _membership(request, team_id, person_id, "change roles")
    if refusal:
        return refusal
    form = RoleForm(request.POST)
    name = membership.person.display_name
    if not form.is_valid():
        messages.error(request, f"Nothing was changed: choose one of the roles for {name}.")
    else:
        try:
            services.team_member_role_set(membership=membership, role=form.cleaned_data["role"])
        except services.InUse as refused:
            messages.error(request, f"Nothing was changed. {refused.message}")
        else:
            role = Role(form.cleaned_data["role"]).label.lower()
            messages.success(request, f"{name} is now {role} of {team.name}.")
    return redirect("oncall:team-detail", team_id=team.pk)


@login_required
@require_POST
def member_remove(request, team_id: int, person_id: int):
    """Take a member out of the team, unless the team still relies on them."""
    team, membership, refusal = _membership(request, team_id, person_id, "remove members")
    if refusal:
        return refusal
    name = membership.person.display_name
    try:
        services.team_member_remove(membership=membership, now=clock.now())
    except services.InUse as refused:
        messages.error(request, f"Nothing was changed. {refused.message}")
    else:
        messages.success(request, f"Took {name} out of {team.name}.")
    return redirect("oncall:team-detail", team_id=team.pk)


@login_required
@require_POST
def rest_protection(request, team_id: int):
    """Change the team's rest protection (team admins); a blank field turns its half off."""
    team = _team(request, team_id)
    if not team_allows(request, team.pk, ADMIN):
        return _refused(request, "change its rest protection")
    form = RestProtectionForm(request.POST, auto_id="rest-%s")
    if form.is_valid():
        try:
            services.team_update(team=team, **form.cleaned_data)
        except ValidationError as error:
            absorb(form, error)
        else:
            messages.success(request, f"Saved the rest protection of {team.name}.")
            return redirect("oncall:team-detail", team_id=team.pk)
    return _page(request, team, rest_form=form, status=400)
