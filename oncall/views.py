"""Thin entry points: parse, call one selector or service, render."""

from __future__ import annotations

from datetime import timedelta

from django.http import Http404, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from oncall import clock, health, ical, selectors, services

FEED_PAST = timedelta(days=30)
FEED_FUTURE = timedelta(days=180)


@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


@require_GET
def readyz(request):
    checks = health.readiness_checks()
    ready = all(check["ok"] for check in checks.values())
    body = {"status": "ready" if ready else "unavailable", "checks": checks}
    if checks["database"]["ok"]:
        # Informational: a web process is ready even while the workers are being restarted.
        body["pipeline_heartbeat_age_seconds"] = health.pipeline_age_seconds()
    return JsonResponse(body, status=200 if ready else 503)


@require_GET
def ical_feed(request, token: str):
    feed = services.calendar_feed_use(token=token)
    if feed is None:
        raise Http404("No such calendar.")
    now = clock.now()
    since, until = now - FEED_PAST, now + FEED_FUTURE
    if feed.schedule is not None:
        name = f"{feed.schedule.name} on call"
        shifts = [
            (feed.schedule.pk, feed.schedule.name, shift)
            for shift in selectors.shifts_between(schedule=feed.schedule, since=since, until=until)
        ]
    else:
        name = f"{feed.person.display_name} on call"
        shifts = [
            (schedule.pk, schedule.name, shift)
            for schedule, shift in selectors.person_shifts_between(
                person=feed.person, since=since, until=until
            )
        ]
    body = ical.calendar_render(name=name, shifts=shifts, generated_at=now)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    response["Content-Disposition"] = 'inline; filename="oncall.ics"'
    return response
