"""The audit log: who changed what, when, and through which door. Rows are only ever added.

An entry names its actor by username and id as they were, never by a foreign key: deleting a user
or a team must not rewrite the history of what they did. PostgreSQL refuses UPDATE and DELETE on
the table as well (a row trigger, migration 0011), so not even raw SQL edits the past.
"""

from django.db import models

# The common actions; `action` is free so that a service may name its own verb.
CREATE, UPDATE, DELETE = "create", "update", "delete"
COMMON_ACTIONS = (
    CREATE,
    UPDATE,
    DELETE,
    # The incident actions (incidents.models.choices.Action, which this layer cannot import).
    "acknowledge",
    "resolve",
    "escalate",
    "reassign",
    "snooze",
    "note",
    "add_responder",
    # The services' own verbs.
    "rotate_token",
    "revoke",
    "verify",
)


class AppendOnlyError(Exception):
    """An attempt to change or delete an audit entry."""

    def __init__(self, what: str = "changed"):
        super().__init__(f"The audit log is append-only: an entry is never {what}.")


class AuditEntryQuerySet(models.QuerySet):
    """Queries over the log; those that would change or delete rows raise."""

    def update(self, **kwargs):
        raise AppendOnlyError("changed")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError("changed")

    def delete(self):
        raise AppendOnlyError("deleted")

    delete.queryset_only = True


class AuditEntry(models.Model):
    """One change: who made it, through what, to which object, and what changed."""

    class Source(models.TextChoices):
        API = "api", "API"
        WEB = "web", "Web"
        ADMIN = "admin", "Django admin"
        SHELL = "shell", "Shell"
        SMS = "sms", "SMS"
        VOICE = "voice", "Voice"
        SLACK = "slack", "Slack"
        EMAIL = "email", "E-mail"
        ENGINE = "engine", "Plantão"
        MONITORING = "monitoring", "Monitoring"
        CONFIG = "config", "Configuration file"

    at = models.DateTimeField(db_index=True)
    actor = models.CharField(max_length=150, blank=True, help_text="Username; empty: nobody.")
    # A plain number, not a foreign key: deleting the user leaves the history as it was.
    actor_user_id = models.BigIntegerField(null=True, blank=True)
    actor_name = models.CharField(max_length=150, blank=True, help_text="Display name.")
    token_name = models.CharField(
        max_length=100, blank=True, help_text="The API token's name (never the token)."
    )
    source = models.CharField(max_length=10, choices=Source.choices)
    # What the change came in, when it came in a file: the configuration file's name.
    origin = models.CharField(max_length=200, blank=True, default="")
    action = models.CharField(
        max_length=32, help_text=f"What was done; commonly {', '.join(COMMON_ACTIONS)}."
    )
    object_type = models.CharField(max_length=64, help_text="snake_case, e.g. override.")
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200, blank=True)
    # The team the object belongs to, and the person a person's own object belongs to (their
    # profile, contact methods, rules, tokens): who may read the entry.
    team_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    person_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    changes = models.JSONField(
        default=dict,
        blank=True,
        help_text='Updates: {"field": [before, after]}; creates: the values; deletes: the values '
        "before.",
    )

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object")]

    def __str__(self):
        who = self.actor or "nobody"
        what = f"{self.action} {self.object_type} {self.object_id}"
        return f"{self.at:%Y-%m-%d %H:%M:%S} {who} {what}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("changed")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("deleted")
