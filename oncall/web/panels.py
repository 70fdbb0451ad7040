"""Panels the upper layer adds to a team's page (its postmortems' open action items), asked for
with a signal since oncall may not import incidents.

A receiver of `team_panels_asked` (sender=Team; team=, request=, now=) returns a Panel, a list
of them, or None when it has nothing to show; the page renders each under its own heading.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.dispatch import Signal

from oncall.models import Team

team_panels_asked = Signal()


@dataclass(frozen=True)
class Panel:
    """A section of the team page: a heading, and a template rendered with `context`."""

    key: str  # names the section in the page (an id), e.g. "action-items"
    heading: str
    template: str
    context: dict = field(default_factory=dict)
    order: int = 100  # lower comes first


def team_panels(*, request, team: Team, now: datetime) -> list[Panel]:
    """Return the panels the other apps show on `team`'s page, in their order."""
    panels: list[Panel] = []
    for _, answer in team_panels_asked.send(sender=Team, team=team, request=request, now=now):
        if isinstance(answer, Panel):
            panels.append(answer)
        elif answer:
            panels.extend(answer)
    return sorted(panels, key=lambda panel: (panel.order, panel.key))
