"""API tokens: how scripts authenticate to the REST API."""

import hashlib

from django.conf import settings
from django.db import models


def api_token_digest(token: str) -> str:
    """Return the stored form of an API token: its SHA-256, never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(models.Model):
    """A named bearer token acting for `user`, never above `scope`, until `expires_at`."""

    class Scope(models.TextChoices):
        READ = "read", "Read"
        RESPOND = "respond", "Respond (acknowledge, resolve, notes)"
        ADMIN = "admin", "Admin (change configuration)"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    scope = models.CharField(max_length=8, choices=Scope.choices, default=Scope.READ)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.name} ({self.scope})"

    def is_usable(self, at) -> bool:
        """Return whether the token may be used at `at`: not revoked and not expired."""
        return self.revoked_at is None and (self.expires_at is None or at < self.expires_at)
