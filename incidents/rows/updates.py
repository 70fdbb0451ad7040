"""Set-based writes the ORM cannot say: many rows updated with a value each, in one statement,
returning which rows the condition let through (PostgreSQL, and SQLite 3.35 or newer)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import connection


def _param(value):
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


def rows_update(
    model,
    *,
    fields: Sequence[str],
    rows: Sequence[Sequence],
    also: str = "",
    where: str = "",
    params: Sequence = (),
) -> set[int]:
    """Set each of `model`'s rows named by a row's first value (its id) to the row's other
    values, for `fields` in order (the first: "id"); return the ids updated. One statement, so
    the condition is checked and each row changed at once, as a conditional UPDATE of one row is.

    The rows are a table `v` whose columns are the fields' columns prefixed "v_"; `also` is more
    of the SET list and `where` a further condition, SQL over the table's columns and `v`'s,
    with `params` for their placeholders (after the rows' own).
    """
    if not rows:
        return set()
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    model_fields = [model._meta.get_field(name) for name in fields]
    columns = [field.column for field in model_fields]
    # PostgreSQL types VALUES by their first row: a column of NULLs would be text.
    typed = connection.vendor == "postgresql"
    first = ", ".join(
        f"CAST(%s AS {field.db_type(connection)})" if typed else "%s" for field in model_fields
    )
    other = ", ".join(["%s"] * len(fields))
    values = ", ".join([f"({first})"] + [f"({other})"] * (len(rows) - 1))
    names = ", ".join(quote(f"v_{column}") for column in columns)
    assign = ", ".join(f"{quote(c)} = v.{quote(f'v_{c}')}" for c in columns[1:])
    assign += f", {also}" if also else ""
    condition = f" AND ({where})" if where else ""
    # Only quoted names and SQL written in this codebase are formatted in; values are params.
    sql = (
        f"WITH v ({names}) AS (VALUES {values}) "  # noqa: S608
        f"UPDATE {table} SET {assign} FROM v "
        f"WHERE {table}.{quote(columns[0])} = v.{quote(f'v_{columns[0]}')}{condition} "
        f"RETURNING {table}.{quote(columns[0])}"
    )
    flat = [
        field.get_db_prep_save(value, connection)
        for row in rows
        for field, value in zip(model_fields, row, strict=True)
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*flat, *(_param(p) for p in params)])
        return {pk for (pk,) in cursor.fetchall()}


def ids_update(
    model,
    *,
    ids: Sequence[int],
    assign: str,
    assign_params: Sequence = (),
    where: str = "",
    where_params: Sequence = (),
) -> set[int]:
    """Update the rows of `model` with these ids where `where` holds, setting `assign` (SQL over
    the table's columns, with their params); return the ids updated, in one statement."""
    if not ids:
        return set()
    table = connection.ops.quote_name(model._meta.db_table)
    marks = ", ".join(["%s"] * len(ids))
    condition = f" AND ({where})" if where else ""
    sql = f"UPDATE {table} SET {assign} WHERE id IN ({marks}){condition} RETURNING id"  # noqa: S608
    params = [*assign_params, *ids, *where_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, [_param(p) for p in params])
        return {pk for (pk,) in cursor.fetchall()}
