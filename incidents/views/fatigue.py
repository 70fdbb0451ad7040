"""/fatigue/: a team's fatigue over a period: a table per person and a heatmap person x week."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from incidents.fatigue.figures import SCORE_POINTS
from incidents.fatigue.forms import FatigueForm
from incidents.fatigue.heat import legend, level_of
from incidents.fatigue.selectors import team_fatigue
from incidents.insights.asked import teams_readable
from oncall import clock


def _heat_rows(found) -> list[tuple]:
    """Return (person, [(week, level), ...]) for each person."""
    return [
        (person, [(week, level_of(week.score)) for week in figures.weeks])
        for person, figures in found.people
    ]


@login_required
@require_GET
def fatigue_page(request):
    """Show a team's fatigue over the days asked (the reader's first team and the last 28
    days by default); a bad choice is a 400 naming it."""
    team_ids = teams_readable(user=request.user)
    form = FatigueForm(request.GET, team_ids=team_ids, today=clock.now().date())
    context = {"form": form, "legend": legend(), "points": SCORE_POINTS}
    if not team_ids:
        return render(request, "incidents/fatigue.html", context)
    if not form.is_valid():
        return render(request, "incidents/fatigue.html", context, status=400)
    team, period = form.cleaned_data["team"], form.period
    found = team_fatigue(team=team, since=period.start, until=period.end)
    context |= {
        "team": team,
        "period": period,
        "found": found,
        "weeks": [week.monday for week in found.total.weeks],
        "heat": _heat_rows(found),
        "heat_mean": [(week, level_of(week.score)) for week in found.mean.weeks],
        "totals": [("Team total", found.total), ("Mean per person", found.mean)],
    }
    return render(request, "incidents/fatigue.html", context)
