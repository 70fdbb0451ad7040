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
)

from incidents.insights.stats import Summary, summary_of
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


def _ordered_seconds(incidents, name: str) -> list[float]:
    # SQLite: one ordered query.
    values = (
        incidents.filter(**{f"{name}__isnull": False})
        .annotate(d=SecondsSince(name))
        .order_by("d")
        .values_list("d", flat=True)
    )
    return list(values)


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
        mtta = summary_of(_ordered_seconds(incidents, "acknowledged_at"))
        mttr = summary_of(_ordered_seconds(incidents, "resolved_at"))
    return mtta, mttr, {s.value: row[f"via_{s}"] for s in CHANNELS}
