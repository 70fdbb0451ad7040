"""/insights/: the insights page, its form of scope and period, the charts and their tables."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.views.decorators.http import require_GET

from incidents.insights.asked import period_asked, scope_asked, teams_readable, zone_asked
from incidents.insights.charts import charts_of, duration_text
from incidents.insights.forms import InsightsForm
from incidents.insights.queries import insights_of
from oncall import clock


@login_required
@require_GET
def insights_page(request):
    """Show the insights of the scope and days asked (the reader's teams, the last 30 days, in
    their zone, by default); a bad choice is a 400 naming it."""
    reader = getattr(request.user, "person", None)
    team_ids = teams_readable(user=request.user)
    now = clock.now()
    zone_today = now.astimezone(zone_asked(None, person=reader)).date()
    form = InsightsForm(request.GET, team_ids=team_ids, reader=reader, today=zone_today)
    context = {"form": form}
    if not form.is_valid():
        return render(request, "incidents/insights.html", context, status=400)
    chosen = form.cleaned_data
    try:
        asked = scope_asked(
            team_ids=team_ids,
            team=chosen["team"] and chosen["team"].pk,
            service=chosen["service"] and chosen["service"].pk,
            person=chosen["person"] and chosen["person"].pk,
        )
        since, until = period_asked(*form.period(), now=now)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            form.add_error(field, messages)
        return render(request, "incidents/insights.html", context, status=400)
    found = insights_of(scope=asked.scope, since=since, until=until, zone=chosen["tz"])
    context |= {
        "asked": asked,
        "found": found,
        "charts": charts_of(found),
        "mtta_median": duration_text(found.mtta.median),
        "mtta_p90": duration_text(found.mtta.p90),
        "mttr_median": duration_text(found.mttr.median),
        "mttr_p90": duration_text(found.mttr.p90),
    }
    return render(request, "incidents/insights.html", context)
