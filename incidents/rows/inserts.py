"""Multi-row INSERTs for the ingest path, without a model instance per row.

`Model.objects._insert` builds an instance per row and prepares every field of every row
through Django's compiler: for a hundred new incidents of thirty columns, that was most of a
request's CPU. Here the statement is plain parametrised SQL over the model's concrete columns;
a row gives the values it sets, and every other column takes its field's default, prepared once
per statement. Values go through the field's `get_db_prep_save`, as Django does, unless the field
stores a plain string or integer as it is. The stored values are the ORM's, on SQLite and on
PostgreSQL (tests/incidents/test_inserts.py compares them).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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
    skipped; return the `returning` columns of the rows inserted."""
    rows = list(rows)
    if not rows:
        return []
    connection = transaction.get_connection()
    columns = _columns(model)
    defaults = [_prepared(f, plain, f.get_default(), connection) for f, plain in columns]
    # The same value in many rows (the request's `now`) is prepared once.
    memo: dict = {}
    values: list = []
    for row in rows:
        for (field, plain), default in zip(columns, defaults, strict=True):
            name = field.attname
            if name not in row:
                values.append(default)
                continue
            value = row[name]
            if value is None or (plain and type(value) in (str, int)):
                values.append(value)
            elif isinstance(value, (str, int, float)) or type(value).__hash__ is None:
                values.append(field.get_db_prep_save(value, connection))
            else:
                key = (name, value)
                if key not in memo:
                    memo[key] = field.get_db_prep_save(value, connection)
                values.append(memo[key])
    ops = connection.ops
    on_conflict = OnConflict.IGNORE if ignore_conflicts else None
    fields = [field for field, _ in columns]
    head = (
        f"{ops.insert_statement(on_conflict=on_conflict)} {ops.quote_name(model._meta.db_table)} "
        f"({', '.join(ops.quote_name(field.column) for field in fields)}) VALUES "
    )
    tail = ""
    if ignore_conflicts:
        tail += " " + ops.on_conflict_suffix_sql(fields, on_conflict, None, None)
    if returning:
        tail += " " + ops.return_insert_columns([model._meta.get_field(n) for n in returning])[0]
    width = len(fields)
    placeholders = "(" + ", ".join(["%s"] * width) + ")"
    per_statement = max(1, PARAMETERS_MAX // width)
    returned: list[tuple] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            count = min(per_statement, len(rows) - start)
            sql = head + ", ".join([placeholders] * count) + tail.rstrip()
            cursor.execute(sql, values[start * width : (start + count) * width])
            if returning:
                returned.extend(cursor.fetchall())
    return returned
