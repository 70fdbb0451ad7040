"""MTTA, MTTR and acknowledgements by channel: one scan of the raw incidents on PostgreSQL
(percentile_cont); on SQLite an aggregate and one ordered query per duration."""

from __future__ import annotations

from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    Q,
    Window,
)
from django.db.models.functions import RowNumber

from incidents.insights.stats import MEDIAN, P90, Summary, percentile_at, ranks_of
from incidents.models.choices import Source

CHANNELS = [
    Source.SMS,
    Source.VOICE,
    Source.SLACK,
    Source.EMAIL,
    Source.WEB,
    Source.API,
    Source.MONITORING,
]


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate: percentile_cont(f) WITHIN GROUP (ORDER BY x)."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, *, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


def _since(name: str) -> ExpressionWrapper:
    return ExpressionWrapper(F(name) - F("created_at"), output_field=DurationField())


class SecondsSince(Func):
    """SQLite: the seconds from created_at to `name`, to the millisecond, computed natively
    (Django's own date arithmetic there is a Python function per row)."""

    template = "ROUND((julianday(%(expressions)s)) * 86400.0, 3)"
    arg_joiner = ") - julianday("
    output_field = FloatField()

    def __init__(self, name: str):
        super().__init__(F(name), F("created_at"))


def _ranked_summary(incidents, name: str, count: int) -> Summary:
    """SQLite: the median and p90 from one ordered query, which returns only the rows at the
    ranks they lie between (ROW_NUMBER over the durations in order)."""
    fractions = (MEDIAN, P90)
    ranks = {rank for f in fractions for rank in ranks_of(count, f)[:2]} if count else set()
    rows = (
        incidents.filter(**{f"{name}__isnull": False})
        .values("id")
        .annotate(d=SecondsSince(name))
        .annotate(rank=Window(RowNumber(), order_by=[F("d").asc(), F("id").asc()]))
        .filter(rank__in=[r + 1 for r in ranks])
        .values_list("rank", "d")
    )
    values = {rank - 1: d for rank, d in rows}
    return Summary(*(percentile_at(values, count, f) for f in fractions), count)


def _seconds(value) -> float | None:
    return None if value is None else value.total_seconds()


def durations(incidents) -> tuple[Summary, Summary, dict[str, int]]:
    """Return MTTA, MTTR and acknowledgements by channel of `incidents`, in one scan on
    PostgreSQL."""
    counts = {
        "ack_n": Count("acknowledged_at"),
        "res_n": Count("resolved_at"),
        **{f"via_{s}": Count("id", filter=Q(ack_source=s)) for s in CHANNELS},
    }
    if connection.vendor == "postgresql":
        fractions = {"median": 0.5, "p90": 0.9}
        for name, what in (("ack", "acknowledged_at"), ("res", "resolved_at")):
            for key, fraction in fractions.items():
                counts[f"{name}_{key}"] = PercentileCont(
                    _since(what), fraction=fraction, output_field=DurationField()
                )
        row = incidents.aggregate(**counts)

        def summary(name):
            median, p90 = (row[f"{name}_{key}"] for key in fractions)
            return Summary(_seconds(median), _seconds(p90), row[f"{name}_n"])

        mtta, mttr = summary("ack"), summary("res")
    else:
        row = incidents.aggregate(**counts)
        mtta = _ranked_summary(incidents, "acknowledged_at", row["ack_n"])
        mttr = _ranked_summary(incidents, "resolved_at", row["res_n"])
    return mtta, mttr, {s.value: row[f"via_{s}"] for s in CHANNELS}
