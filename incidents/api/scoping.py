"""Visibility of what belongs to a team through a service: filtered by service ids.

Filtering `service_id IN (…)` (the ids of the services of the teams the request can see, one
small query per request) lets the database walk an incident index without joining the service
table first, which matters on a table of many incidents.
"""

from __future__ import annotations

from incidents.models import Service
from oncall.api.access import VIEWER, teams_with


def visible_service_ids(request) -> list[int]:
    """Return the ids of the services of the teams the request can see (once a request)."""
    cached = getattr(request, "_plantao_service_ids", None)
    if cached is None:
        teams = teams_with(request, VIEWER)
        cached = list(Service.objects.filter(team_id__in=teams).values_list("pk", flat=True))
        request._plantao_service_ids = cached
    return cached
