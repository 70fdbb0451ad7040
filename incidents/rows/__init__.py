"""Set-based writes the ORM cannot say cheaply: many rows inserted in one plain parametrised
statement (`rows_insert`, the ingest path), and many rows updated with a value each, returning
which rows the condition let through (`rows_update`, `ids_update`, the engine)."""

from incidents.rows.inserts import rows_insert
from incidents.rows.updates import ids_update, rows_update

__all__ = ["ids_update", "rows_insert", "rows_update"]
