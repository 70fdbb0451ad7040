"""Multi-row INSERTs for the ingest path, without a model instance per row.

`Model.objects._insert` builds an instance per row and prepares every field of every row
through Django's compiler: for a hundred new incidents of thirty columns, that was most of a
request's CPU. Here the statement is plain SQL over the model's concrete columns; a row gives
the values it sets, and every other column takes its field's default, prepared once per
statement. On PostgreSQL the rows travel as one JSON document, an array a row; on
SQLite, and for a value JSON cannot carry, as a multi-row VALUES whose values go through the
field's `get_db_prep_save`, as Django does. The stored values are the ORM's, on SQLite and on
PostgreSQL (tests/incidents/test_rows_insert.py compares them).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import cache

from django.db import models, transaction
from django.db.models.constants import OnConflict

# Parameters per statement: under SQLite's limit (32,766) and PostgreSQL's (65,535).
PARAMETERS_MAX = 32_000
# Fields whose prepared value is the value itself when it is a str, an int or None.
PLAIN_FIELDS = (models.CharField, models.TextField, models.IntegerField, models.ForeignKey)


@cache
def _columns(model) -> tuple:
    """Return the model's concrete fields but the primary key, and whether each is plain."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    return tuple((field, isinstance(field, PLAIN_FIELDS)) for field in fields)


def _prepared(field, plain: bool, value, connection):
    if value is None or (plain and type(value) in (str, int)):
        return value
    return field.get_db_prep_save(value, connection)


def rows_insert(
    model,
    rows: Iterable[dict],
    *,
    ignore_conflicts: bool = False,
    returning: Sequence[str] = (),
) -> list[tuple]:
    """INSERT `rows` of `model`, each a dict of attribute names (`service_id`, not `service`) to
    values, in as few statements as the parameter limits allow; columns a row leaves out take
    their field defaults. With `ignore_conflicts`, a row that breaks a unique constraint is
    skipped; return the `returning` columns of the rows inserted, in the rows' order."""
    rows = list(rows)
    if not rows:
        return []
    connection = transaction.get_connection()
    columns = _columns(model)
    named = {name for row in rows for name in row}
    ops = connection.ops
    on_conflict = OnConflict.IGNORE if ignore_conflicts else None
    fields = [field for field, _ in columns]
    head = (
        f"{ops.insert_statement(on_conflict=on_conflict)} {ops.quote_name(model._meta.db_table)} "
        f"({', '.join(ops.quote_name(field.column) for field in fields)}) "
    )
    tail = ""
    if ignore_conflicts:
        tail += " " + ops.on_conflict_suffix_sql(fields, on_conflict, None, None)
    if returning:
        tail += " " + ops.return_insert_columns([model._meta.get_field(n) for n in returning])[0]
    statements = None
    if connection.vendor == "postgresql":
        try:
            statements = [_recordset(columns, named, rows, connection)]
        except (TypeError, ValueError):  # a value JSON cannot carry: the general way
            statements = None
    if statements is None:
        statements = _values(columns, named, rows, connection)
    returned: list[tuple] = []
    with connection.cursor() as cursor:
        for body, params in statements:
            cursor.execute(head + body + tail.rstrip(), params)
            if returning:
                returned.extend(cursor.fetchall())
    return returned


def _values(columns, named: set, rows: list[dict], connection) -> list[tuple[str, list]]:
    """Multi-row VALUES, as many rows a statement as PARAMETERS_MAX allows (SQLite, and any
    value `_recordset` cannot send)."""
    prepared = [_column(field, plain, named, rows, connection) for field, plain in columns]
    width = len(prepared)
    placeholders = "(" + ", ".join(["%s"] * width) + ")"
    per_statement = max(1, PARAMETERS_MAX // width)
    statements = []
    for start in range(0, len(rows), per_statement):
        stop = min(start + per_statement, len(rows))
        params = [
            column[0] if type(column) is tuple else column[index]
            for index in range(start, stop)
            for column in prepared
        ]
        statements.append(("VALUES " + ", ".join([placeholders] * (stop - start)), params))
    return statements


def _column(field, plain: bool, named: set, rows: list[dict], connection) -> list | tuple:
    """Return the prepared values of one column, a list with one per row; or, where no row sets
    it, a 1-tuple of its prepared default."""
    default = _prepared(field, plain, field.get_default(), connection)
    name = field.attname
    if name not in named:
        return (default,)
    # The same value in many rows (the request's `now`) is prepared once.
    memo: dict = {}
    values = []
    for row in rows:
        if name not in row:
            values.append(default)
            continue
        value = row[name]
        if value is None or (plain and type(value) in (str, int)):
            values.append(value)
        elif isinstance(value, (str, int, float)) or type(value).__hash__ is None:
            values.append(field.get_db_prep_save(value, connection))
        else:
            if value not in memo:
                memo[value] = field.get_db_prep_save(value, connection)
            values.append(memo[value])
    return values


def _recordset(columns, named: set, rows: list[dict], connection) -> tuple[str, list]:
    """One SELECT over the rows sent as one JSON document (PostgreSQL), an array per row.
    psycopg splits and quotes a statement per placeholder, and PostgreSQL parses and plans each
    value of a multi-row VALUES: a hundred rows of thirty columns cost three thousand of each.
    Here the columns the rows set are one parameter, encoded by json.dumps, and each column they
    leave out is one more. Raise TypeError for a value that JSON cannot carry as its column's
    text."""
    select, scalars, sent = [], [], []
    for field, plain in columns:
        kind = field.db_type(connection)
        if field.attname not in named:
            select.append(f"CAST(%s AS {kind})")
            scalars.append(_prepared(field, plain, field.get_default(), connection))
        elif isinstance(field, models.JSONField):
            # The JSON value itself; a row's None is SQL NULL, as the ORM stores it.
            select.append(f"NULLIF(e -> {len(sent)}, 'null')")
            sent.append(field)
        else:
            # Its text, read as its type reads text (a timestamp in ISO 8601 with its offset).
            select.append(f"CAST(e ->> {len(sent)} AS {kind})")
            sent.append(field)
    document = _document(sent, rows)
    # jsonb: PostgreSQL parses the document once; arrays, not objects, spare it (and json.dumps)
    # a key for every value.
    # Only column types, positions and placeholders are formatted in; values are params.
    body = f"SELECT {', '.join(select)} FROM jsonb_array_elements(%s::jsonb) AS e"  # noqa: S608
    return body, [*scalars, json.dumps(document, allow_nan=False, separators=(",", ":"))]


# Values JSON carries as they are: to its column as its text, to a JSON column as itself.
JSON_AS_IS = frozenset((str, int, float, type(None)))


def _document(sent: list, rows: list[dict]) -> list[list]:
    """Return the rows as arrays of the `sent` fields' values, as JSON carries them."""
    memo: dict = {}
    # A default made by a call (a clock, a random token) is made again for each row that needs
    # it; an empty dict or list only goes into the text, so one serves every row.
    fresh = object()
    specs = [
        (
            field.attname,
            fresh
            if callable(field.default) and field.default not in (dict, list)
            else field.get_default(),
            field,
        )
        for field in sent
    ]
    document = []
    for row in rows:
        values = []
        for name, default, field in specs:
            value = row.get(name, default)
            if value is fresh:
                value = field.get_default()
            values.append(value if type(value) in JSON_AS_IS else _json_value(field, value, memo))
        document.append(values)
    return document


def _json_value(field, value, memo: dict):
    """Return `value` of `field` as JSON carries it, its column reading the text as its type
    reads text (a timestamp in ISO 8601 with its offset)."""
    if isinstance(value, (str, int, float)):  # choices are str and int too
        return value
    if isinstance(field, models.JSONField):
        return value  # stored as the JSON it is, as JSONField's own encoding does
    if type(value) is datetime and value.tzinfo is not None:
        if value not in memo:
            memo[value] = value.isoformat()
        return memo[value]
    raise TypeError(f"{field.attname}: {type(value).__name__} goes through the ORM's preparation")
