"""/profile/: the person's own page. Their name, time zone and locale; their time off and whose
public holidays they keep; how they are reached (contact methods proved by a code) and when
(notification rules per urgency); their API tokens and calendar links, each secret shown once.
A person only ever sees and changes their own: anyone else's method, rule, token, link or time
off is a 404.

Each POST parses one form, calls one service and redirects with a message; a refusal renders the
page again with the errors on the form's fields and nothing stored. A new token or calendar link
is the answer to its POST (201), never redirected to: its secret is then held nowhere but in that
one response, not in the session store, and no later page can show it again."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from oncall import absences, calendars, clock, services
from oncall.models import ApiToken, CalendarFeed, ContactMethod, NotificationRule, Person, TimeOff
from oncall.tokens import api_token_create, api_token_revoke
from oncall.verification import VERIFIABLE
from oncall.web.forms import (
    ApiTokenForm,
    CodeForm,
    ContactMethodForm,
    HolidayCalendarForm,
    NotificationRuleForm,
    ProfileForm,
    TimeOffForm,
    absorb,
    time_zones,
)

HOLIDAYS_AHEAD = 90  # days of coming public holidays listed


def _person(request) -> Person:
    person = getattr(request.user, "person", None)
    if person is None:
        raise Http404("Your login has no on-call profile; ask an admin to make you one.")
    return person


def _methods(person: Person):
    return ContactMethod.objects.filter(person=person)


def _back(anchor: str):
    return redirect(f"{reverse('oncall:profile')}#{anchor}")


@login_required
@require_GET
def profile(request):
    """Show the person's own page."""
    return _page(request, _person(request))


def _page(request, person: Person, *, status: int = 200, secret=None, **bound):
    """Render the page; `bound` holds the forms that were posted and refused, by name (and
    `code_form` with `code_method` for a refused code)."""
    methods = list(_methods(person))
    code_method = bound.pop("code_method", None)
    for method in methods:
        method.sends_codes = method.kind in VERIFIABLE
        method.code_form = (
            bound["code_form"]
            if code_method == method.pk
            else CodeForm(auto_id=f"code-{method.pk}-%s")
        )
    rules = NotificationRule.objects.filter(person=person).select_related("contact_method")
    forms = {
        "profile_form": ProfileForm(
            initial={
                "display_name": person.display_name,
                "time_zone": person.time_zone,
                "locale": person.locale,
            }
        ),
        "method_form": ContactMethodForm(auto_id="method-%s"),
        "rule_form": NotificationRuleForm(auto_id="rule-%s", methods=_methods(person)),
        "token_form": ApiTokenForm(auto_id="token-%s"),
        "time_off_form": TimeOffForm(auto_id="time-off-%s"),
        "holiday_form": _holiday_form(person),
    } | {name: form for name, form in bound.items() if name != "code_form"}
    now = clock.now()
    context = (
        forms
        | _away(person, now)
        | {
            "person": person,
            "zone": ZoneInfo(person.time_zone),
            "time_zones": time_zones(),
            "slack_ids": [m for m in methods if m.kind == ContactMethod.Kind.SLACK],
            "methods": methods,
            "rules_by_urgency": [
                (label, [rule for rule in rules if rule.urgency == urgency])
                for urgency, label in NotificationRule.Urgency.choices
            ],
            "tokens": ApiToken.objects.filter(user=request.user, revoked_at__isnull=True),
            "feeds": CalendarFeed.objects.filter(person=person, revoked_at__isnull=True),
            "secret": secret,
            "now": now,
        }
    )
    return render(request, "oncall/profile.html", context, status=status)


def _holiday_form(person: Person, data=None) -> HolidayCalendarForm:
    initial = {
        "holiday_country": person.holiday_country,
        "holiday_subdivision": person.holiday_subdivision,
    }
    zone_country = calendars.country_for_zone(person.time_zone)
    return HolidayCalendarForm(
        data, initial=initial, zone_country=zone_country, auto_id="holiday-%s"
    )


def _away(person: Person, now) -> dict:
    """Return the page's time off (not over yet) and the coming public holidays."""
    calendar = absences.person_holiday_calendar(person=person)
    return {
        "time_offs": TimeOff.objects.filter(person=person, end__gt=now)
        .annotate(asked=Count("cover_requests", filter=~Q(cover_requests__status="withdrawn")))
        .order_by("start", "pk"),
        "holiday_calendar": calendar,
        "holiday_country_name": calendars.country_names().get(calendar.country, ""),
        "holidays": absences.person_holidays_upcoming(person=person, now=now, days=HOLIDAYS_AHEAD),
        "holidays_ahead": HOLIDAYS_AHEAD,
    }


@login_required
@require_POST
def time_off_add(request):
    """Enter time off, read on the person's own wall clock; their shifts in it are offered to
    the team."""
    person = _person(request)
    form = TimeOffForm(request.POST, auto_id="time-off-%s")
    with timezone.override(ZoneInfo(person.time_zone)):
        valid = form.is_valid()
    if valid:
        try:
            made = services.time_off_create(
                person=person, created_by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            absorb(form, error)
        else:
            asked = made.cover_requests.count()
            offered = f" {asked} of your shifts in it offered to your team." if asked else ""
            messages.success(request, f"Added your time off.{offered}")
            return _back("time-off")
    return _page(request, person, status=400, time_off_form=form)


@login_required
@require_POST
def time_off_remove(request, pk: int):
    """Remove one of the person's time off; what nobody took of its cover requests is withdrawn."""
    person = _person(request)
    time_off = get_object_or_404(TimeOff.objects.filter(person=person), pk=pk)
    services.time_off_delete(time_off=time_off)
    messages.success(request, "Removed your time off.")
    return _back("time-off")


@login_required
@require_POST
def holiday_calendar_update(request):
    """Choose whose public holidays the person keeps (blank: their time zone's)."""
    person = _person(request)
    form = _holiday_form(person, request.POST)
    if form.is_valid():
        try:
            services.person_update(person=person, **form.cleaned_data)
        except ValidationError as error:
            person.refresh_from_db()
            absorb(form, error)
        else:
            messages.success(request, "Saved your public holidays.")
            return _back("time-off")
    return _page(request, person, status=400, holiday_form=form)


@login_required
@require_POST
def profile_update(request):
    """Change the person's name, time zone and locale."""
    person = _person(request)
    form = ProfileForm(request.POST)
    if form.is_valid():
        try:
            services.person_update(person=person, **form.cleaned_data)
        except ValidationError as error:
            person.refresh_from_db()
            absorb(form, error)
        else:
            messages.success(request, "Saved your profile.")
            return _back("details")
    return _page(request, person, status=400, profile_form=form)


@login_required
@require_POST
def contact_method_add(request):
    """Add a way to reach the person; it is sent a code to prove it reaches them."""
    person = _person(request)
    form = ContactMethodForm(request.POST, auto_id="method-%s")
    if form.is_valid():
        try:
            method = services.contact_method_create(person=person, **form.cleaned_data)
        except ValidationError as error:
            absorb(form, error)
        else:
            sent = " We sent it a code: type it below." if method.kind in VERIFIABLE else ""
            messages.success(request, f"Added {method.get_kind_display()} {method.address}.{sent}")
            return _back(f"method-{method.pk}")
    return _page(request, person, status=400, method_form=form)


@login_required
@require_POST
def contact_method_verify(request, pk: int):
    """Verify one of the person's contact methods with the code it was sent."""
    person = _person(request)
    method = get_object_or_404(_methods(person), pk=pk)
    form = CodeForm(request.POST, auto_id=f"code-{pk}-%s")
    if form.is_valid():
        try:
            services.contact_method_verify(
                method=method, code=form.cleaned_data["code"], now=clock.now()
            )
        except ValidationError as error:
            absorb(form, error)
        else:
            messages.success(request, f"Verified {method.get_kind_display()} {method.address}.")
            return _back(f"method-{pk}")
    return _page(request, person, status=400, code_form=form, code_method=pk)


@login_required
@require_POST
def contact_method_code_send(request, pk: int):
    """Send one of the person's contact methods a new code."""
    person = _person(request)
    method = get_object_or_404(_methods(person), pk=pk)
    try:
        services.contact_method_verification_send(method=method, now=clock.now())
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Sent a new code to {method.address}.")
    return _back(f"method-{pk}")


@login_required
@require_POST
def contact_method_delete(request, pk: int):
    """Delete one of the person's contact methods, unless it is the last way to page them."""
    person = _person(request)
    method = get_object_or_404(_methods(person), pk=pk)
    try:
        services.contact_method_delete(method=method)
    except services.InUse as refusal:
        messages.error(request, refusal.message)
        return _back(f"method-{pk}")
    messages.success(request, f"Deleted {method.get_kind_display()} {method.address}.")
    return _back("methods")


@login_required
@require_POST
def notification_rule_add(request):
    """Reach the person through one of their methods some minutes after a page."""
    person = _person(request)
    form = NotificationRuleForm(request.POST, auto_id="rule-%s", methods=_methods(person))
    if form.is_valid():
        try:
            rule = services.notification_rule_create(**form.cleaned_data)
        except ValidationError as error:
            absorb(form, error)
        else:
            kind, urgency = rule.contact_method.get_kind_display(), rule.get_urgency_display()
            messages.success(
                request, f"Added the rule: {kind} after {rule.delay_minutes} min ({urgency})."
            )
            return _back("rules")
    return _page(request, person, status=400, rule_form=form)


@login_required
@require_POST
def notification_rule_delete(request, pk: int):
    """Stop one of the person's rules."""
    person = _person(request)
    rule = get_object_or_404(NotificationRule.objects.filter(person=person), pk=pk)
    services.notification_rule_delete(rule=rule)
    messages.success(request, "Deleted the rule.")
    return _back("rules")


@login_required
@require_POST
def api_token_add(request):
    """Make an API token acting for the person's login; show its secret in this answer only."""
    person = _person(request)
    form = ApiTokenForm(request.POST, auto_id="token-%s")
    if form.is_valid():
        now = clock.now()
        days = form.cleaned_data["expires_in_days"]
        try:
            token, secret = api_token_create(
                user=person.user,  # the User itself: the audit log resolves its model
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                now=now,
                expires_at=now + timedelta(days=days) if days else None,
            )
        except ValidationError as error:
            absorb(form, error)
        else:
            messages.success(request, f"Created the API token {token.name}.")
            shown = {"kind": "token", "name": token.name, "value": secret}
            return _page(request, person, status=201, secret=shown)
    return _page(request, person, status=400, token_form=form)


@login_required
@require_POST
def api_token_delete(request, pk: int):
    """Revoke one of the person's API tokens, at once."""
    token = get_object_or_404(ApiToken.objects.filter(user=request.user), pk=pk)
    api_token_revoke(token=token, now=clock.now())
    messages.success(request, f"Revoked the API token {token.name}.")
    return _back("tokens")


@login_required
@require_POST
def calendar_link_add(request):
    """Make a secret iCal link to the person's shifts; show it in this answer only."""
    person = _person(request)
    feed, token = services.calendar_feed_create(person=person, created_by=person.user)
    url = request.build_absolute_uri(reverse("ical-feed", args=[token]))
    messages.success(request, "Created a calendar link to your shifts.")
    shown = {"kind": "calendar", "name": f"{feed.hint}…", "value": url}
    return _page(request, person, status=201, secret=shown)


@login_required
@require_POST
def calendar_link_revoke(request, pk: int):
    """Stop one of the person's calendar links from working."""
    feed = get_object_or_404(CalendarFeed.objects.filter(person=_person(request)), pk=pk)
    services.calendar_feed_revoke(feed=feed)
    messages.success(request, f"Revoked the calendar link {feed.hint}….")
    return _back("calendar")
