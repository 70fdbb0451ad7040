"""The raw rows after the rollup's watermark (and at a period's edges): pages and alerts in a
few hours, counted in the scope's incidents.

Filtering pages or alerts through a join to incidents (`incident__service_id__in`) lets a
planner start from the scope's incidents, all of them, and look for their pages (SQLite does,
PostgreSQL does for alerts): a scan of the whole history to count a few hours. Here the few
rows are grouped by incident first, in the subquery Django compiles, and only those groups are
joined to their incidents for the scope. The SQL around it is the same on both databases.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo

from django.db import connection
from django.db.models import Count, DateField, Q
from django.db.models.functions import ExtractHour, Trunc

from incidents.models import Alert, Incident, Page


def _within(name: str, spans) -> Q:
    """Rows whose `name` falls in any of `spans` [(since, until), …] (at least one)."""
    q = Q()
    for since, until in spans:
        q |= Q(**{f"{name}__gte": since, f"{name}__lt": until})
    return q


def _in_scope(inner, outer: str, keys: str, scope) -> list[tuple]:
    """Run SELECT `outer`, SUM(g.n) over the grouped rows of `inner` (with incident_id and n)
    joined to their incidents in `scope`, GROUP BY `keys`."""
    if not scope.service_ids:
        return []
    sql, params = inner.query.sql_with_params()
    marks = ", ".join(["%s"] * len(scope.service_ids))
    # Only real incidents count: rehearsals and test pages are not the team's load.
    where = f"i.service_id IN ({marks}) AND i.kind = %s"
    extra = [*scope.service_ids, Incident.Kind.REAL.value]
    if scope.person_id is not None:
        # Table names and Django's compiled SQL only; every value is a parameter.
        where += (
            f" AND EXISTS (SELECT 1 FROM {Page._meta.db_table} p"  # noqa: S608
            " WHERE p.incident_id = i.id AND p.person_id = %s)"
        )
        extra.append(scope.person_id)
    query = (
        f"SELECT {outer}, SUM(g.n) FROM ({sql}) g "  # noqa: S608
        f"JOIN {Incident._meta.db_table} i ON i.id = g.incident_id "
        f"WHERE {where} GROUP BY {keys}"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, [*params, *extra])
        return cursor.fetchall()


def _as_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    return value


def pages_tail(scope, spans, zone: tzinfo) -> list[tuple[date, int, str, int]]:
    """Return (local Monday, local hour, interruption, pages sent) in `spans`."""
    if not spans:
        return []
    pages = Page.objects.filter(_within("sent_at", spans))
    if scope.person_id is not None:
        pages = pages.filter(person_id=scope.person_id)
    inner = (
        pages.annotate(
            week=Trunc("sent_at", "week", output_field=DateField(), tzinfo=zone),
            hour=ExtractHour("sent_at", tzinfo=zone),
        )
        .values("incident_id", "week", "hour", "interruption")
        .annotate(n=Count("id"))
        .order_by()
    )
    keys = "g.week, g.hour, g.interruption"
    rows = _in_scope(inner, keys, keys, scope)
    return [
        (_as_date(week), int(hour), interruption, int(n)) for week, hour, interruption, n in rows
    ]


def alerts_tail(scope, spans) -> list[tuple[str, int]]:
    """Return (alert name, alerts received) in `spans`."""
    if not spans:
        return []
    inner = (
        Alert.objects.filter(_within("received_at", spans), incident__isnull=False)
        .values("incident_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    # SUM is numeric on PostgreSQL: Decimal, made an int.
    return [(name, int(n)) for name, n in _in_scope(inner, "i.alert_name", "i.alert_name", scope)]
