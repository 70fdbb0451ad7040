"""The audit log: who changed what, when, through which entry point (issue 17, in progress).

Interface fixed for the writes that bypass model signals: `audit_bulk_created(objects)` records
one "create" entry per object, in one bulk insert.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import models


def audit_bulk_created(objects: Sequence[models.Model]) -> None:
    """Record the creation of `objects` saved with bulk_create (which sends no signals)."""
