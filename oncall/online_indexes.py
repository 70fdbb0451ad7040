"""A migration operation that builds an index without stopping writes to its table.

`CREATE INDEX` holds a SHARE lock on the table until the index is built: on a table of millions
of incidents or timeline entries that is seconds of alerts waiting behind a deploy. On
PostgreSQL, `BuildIndexOnline` builds with `CREATE INDEX CONCURRENTLY`, so writes go on; a
build that an earlier run left unfinished (PostgreSQL keeps it as an INVALID index) is dropped
and started again, and an index already there is left alone. Other databases build it the plain
way. The migration that uses it sets `atomic = False` (a concurrent build cannot run inside a
transaction) and holds nothing else, so each of its statements stands alone.

The index itself is declared in the model's Meta (the migration state), by an earlier
`AddIndex` kept to the state; this operation only builds it in the database.
"""

from __future__ import annotations

from django.db.migrations.operations.base import Operation


class BuildIndexOnline(Operation):
    reduces_to_sql = False
    reversible = True
    atomic = False

    def __init__(self, model_name: str, name: str):
        self.model_name = model_name
        self.name = name

    def deconstruct(self):
        return self.__class__.__name__, [], {"model_name": self.model_name, "name": self.name}

    def state_forwards(self, app_label, state):
        """The index is in the state already; the database catches up with it here."""

    def describe(self):
        return f"Build index {self.name} on {self.model_name} without blocking writes"

    @property
    def migration_name_fragment(self):
        return f"build_{self.name.lower()}"

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        index = to_state.models[app_label, self.model_name.lower()].get_index_by_name(self.name)
        state = _index_state(schema_editor.connection, model._meta.db_table, self.name)
        if state == "valid":
            return
        if schema_editor.connection.vendor == "postgresql":
            _not_in_transaction(schema_editor, self)
            if state == "invalid":
                schema_editor.remove_index(model, index, concurrently=True)
            schema_editor.add_index(model, index, concurrently=True)
        else:
            schema_editor.add_index(model, index)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if _index_state(schema_editor.connection, model._meta.db_table, self.name) is None:
            return
        index = from_state.models[app_label, self.model_name.lower()].get_index_by_name(self.name)
        if schema_editor.connection.vendor == "postgresql":
            _not_in_transaction(schema_editor, self)
            schema_editor.remove_index(model, index, concurrently=True)
        else:
            schema_editor.remove_index(model, index)


def _not_in_transaction(schema_editor, operation) -> None:
    if schema_editor.connection.in_atomic_block:
        raise RuntimeError(
            f"{operation.describe()}: set atomic = False on the migration "
            "(CREATE INDEX CONCURRENTLY cannot run inside a transaction)"
        )


def _index_state(connection, table: str, name: str) -> str | None:
    """Return 'valid', 'invalid' (a concurrent build that did not finish) or None (absent)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT i.indisvalid FROM pg_index i"
                " JOIN pg_class c ON c.oid = i.indexrelid"
                " WHERE c.relname = %s AND i.indrelid = %s::regclass",
                [name, connection.ops.quote_name(table)],
            )
            row = cursor.fetchone()
        if row is None:
            return None
        return "valid" if row[0] else "invalid"
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return "valid" if name in constraints else None
