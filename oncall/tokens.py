"""Writes for API tokens: made (the secret shown once, only its digest kept), revoked."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from oncall.audit import audit_action
from oncall.models import ApiToken
from oncall.models.tokens import api_token_digest

# Marks a Plantão API token wherever it turns up, so that log redaction can find it.
PREFIX = "plt_"


def api_token_create(
    *, user, name: str, scope: str, now: datetime, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Make a token for `user`; return it and its secret, which is stored only as a digest."""
    if expires_at is not None and expires_at.utcoffset() is None:
        raise ValidationError({"expires_at": "Give a time zone (for example 2027-01-01T00:00Z)."})
    if expires_at is not None and expires_at <= now:
        raise ValidationError({"expires_at": "The expiry must be in the future."})
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name.strip(),
        scope=scope,
        digest=api_token_digest(secret),
        created_at=now,
        expires_at=expires_at,
    )
    token.full_clean()
    token.save()
    return token, secret


@transaction.atomic
def api_token_revoke(*, token: ApiToken, now: datetime) -> bool:
    """Revoke `token` at once; return False if it was revoked already."""
    # Locked and saved (not a bare UPDATE), so the audit log records the revocation.
    locked = ApiToken.objects.select_for_update().get(pk=token.pk)
    changed = locked.revoked_at is None
    if changed:
        locked.revoked_at = now
        with audit_action("revoke"):
            locked.save(update_fields=["revoked_at"])
    token.refresh_from_db()
    return changed
