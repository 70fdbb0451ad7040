"""Pages: one row per (incident, step, loop, person, rule), so a second send is impossible."""

from django.db import models

from oncall.models import ContactMethod, Person

from .choices import Urgency
from .incidents import Incident


class Page(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    class Interruption(models.TextChoices):
        SLEEP = "sleep", "Sleep hours"
        OFF = "off", "Off hours"
        BUSINESS = "business", "Business hours"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="pages")
    step = models.SmallIntegerField(help_text="Policy step; -1 for an added responder.")
    loop = models.PositiveIntegerField()
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="pages")
    # The rule's id, kept even if the rule is later deleted: it is part of the unique key.
    rule_id = models.PositiveBigIntegerField()
    contact_method = models.ForeignKey(
        ContactMethod, null=True, on_delete=models.SET_NULL, related_name="pages"
    )
    kind = models.CharField(max_length=8)
    address = models.CharField(max_length=254)
    urgency = models.CharField(max_length=4, choices=Urgency.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    due_at = models.DateTimeField()
    # The due time a doorbell was rung for, and when: a ring is taken as lost only once it has
    # had PLANTAO_ENGINE_STUCK_SECONDS to be answered, so a backlog is not flooded with repeats.
    rung_for = models.DateTimeField(null=True, blank=True, editable=False)
    rung_at = models.DateTimeField(null=True, blank=True, editable=False)
    lease_until = models.DateTimeField(null=True, blank=True)
    # Set while the page waits for the instant it reserved at its provider (one SMS segment a
    # second per number): then it goes without queueing again (incidents/services/pages.py).
    paced_at = models.DateTimeField(null=True, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    provider_id = models.CharField(max_length=100, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    # Fatigue, from day one: the person's wall-clock time when the page went out, and its kind.
    local_time = models.CharField(max_length=40, blank=True)
    interruption = models.CharField(max_length=8, choices=Interruption.choices, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "step", "loop", "person", "rule_id"], name="page_once"
            )
        ]
        indexes = [
            models.Index(
                fields=["due_at"], name="page_pending_due", condition=models.Q(state="pending")
            ),
            models.Index(
                fields=["lease_until"],
                name="page_sending_lease",
                condition=models.Q(state="sending"),
            ),
            # Fatigue over recent days (GET /metrics, and the reports to come).
            models.Index(
                fields=["sent_at"], name="page_sent_at", condition=models.Q(sent_at__isnull=False)
            ),
        ]

    def __str__(self):
        return f"{self.kind} to {self.person} for #{self.incident.number} ({self.state})"

    @property
    def reference(self) -> str:
        """Return the id channels and providers know this page by."""
        return f"page-{self.pk}"


class EmailLinkKey(models.Model):
    """The secret an e-mail page's action links carry, stored only as its SHA-256 digest.

    One per e-mail sent for a page: a page tried again gets a new e-mail with a new key, and the
    links of an earlier attempt that did arrive keep working.
    """

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="email_link_keys")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()

    def __str__(self):
        return f"link key of page {self.page_id}"
