"""The team page's "Open action items" panel (oncall.web.panels asks for it): what the team's
postmortems said it would do and has not done yet, the overdue first."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from incidents.models import ActionItem
from oncall.models import Team
from oncall.web.panels import Panel

SHOWN = 50  # the rest are counted


def team_action_items(*, team: Team, today: date) -> list[ActionItem]:
    """Return the team's open action items: overdue ones first (the longest overdue first),
    then those with a due day, then those without."""
    items = ActionItem.objects.filter(
        postmortem__team=team, status__in=ActionItem.NOT_DONE
    ).select_related("owner", "postmortem")

    def urgency(item: ActionItem):
        overdue = item.due_on is not None and item.due_on < today
        return (not overdue, item.due_on is None, item.due_on or today, item.pk)

    return sorted(items, key=urgency)


def _reader_today(request, now: datetime) -> tuple[date, str]:
    person = getattr(request.user, "person", None)
    zone = person.time_zone if person is not None else "UTC"
    return now.astimezone(ZoneInfo(zone)).date(), zone


def action_items_panel(sender, *, team: Team, request, now: datetime, **kwargs) -> Panel | None:
    """Answer the team page with its open action items, or nothing when there are none."""
    today, zone = _reader_today(request, now)
    items = team_action_items(team=team, today=today)
    if not items:
        return None
    rows = [
        {"item": item, "overdue": item.due_on is not None and item.due_on < today}
        for item in items[:SHOWN]
    ]
    return Panel(
        key="action-items",
        heading="Open action items",
        template="incidents/_team_action_items.html",
        context={
            "rows": rows,
            "more": max(0, len(items) - SHOWN),
            "overdue": sum(row["overdue"] for row in rows),
            "today": today,
            "zone": zone,
        },
        order=50,
    )


def connect() -> None:
    from oncall.web.panels import team_panels_asked

    team_panels_asked.connect(action_items_panel, dispatch_uid="incidents-action-items")
