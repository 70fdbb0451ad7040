"""Postmortems: what a team learned from one or more incidents, and what it will do about it.

A postmortem copies the incidents' record into its own timeline when it is drafted, so that
entries can be edited, hidden or added by hand without touching the incidents' timelines.
"""

from django.db import models

from oncall.models import Person, Team

from .incidents import Incident

# The sections a team's postmortems start with until its admins choose others: the blameless
# format most teams use (Google's SRE book, PagerDuty's and Atlassian's templates).
DEFAULT_SECTIONS = [
    {"heading": "Summary", "prompt": "What happened, in two or three sentences."},
    {"heading": "Impact", "prompt": "Who was affected, how, and for how long."},
    {"heading": "Contributing factors", "prompt": "What made this possible; no names, no blame."},
    {"heading": "What went well", "prompt": ""},
    {"heading": "What went badly", "prompt": ""},
    {"heading": "Lessons", "prompt": "What we learned, and the action items below."},
]


def default_sections() -> list[dict]:
    return [dict(section) for section in DEFAULT_SECTIONS]


class PostmortemSettings(models.Model):
    """A team's postmortem template and policy."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="postmortem_settings")
    sections = models.JSONField(
        default=default_sections,
        help_text='The sections a new postmortem starts with: [{"heading": …, "prompt": …}].',
    )
    required_for_critical = models.BooleanField(
        default=False,
        help_text="A postmortem is required for every resolved critical incident; those still "
        "without one are listed on the postmortems page.",
    )

    class Meta:
        verbose_name_plural = "postmortem settings"

    def __str__(self):
        return f"postmortem settings of {self.team}"


class Postmortem(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        PUBLISHED = "published", "Published"

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="postmortems")
    title = models.CharField(max_length=300)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    incidents = models.ManyToManyField(
        Incident, through="PostmortemIncident", related_name="postmortems"
    )
    # The incidents' figures when the postmortem was drafted: the first trigger, the first
    # acknowledgement and the last resolve among them (null while none happened).
    began_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True)
    # Bumped by every edit: an autosave that started from an older revision is refused (409)
    # rather than overwriting what someone else wrote meanwhile.
    revision = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["team", "-created_at"], name="postmortem_team_created")]

    def __str__(self):
        return self.title

    @property
    def time_to_acknowledge(self):
        return self.acknowledged_at - self.began_at if self.acknowledged_at else None

    @property
    def time_to_resolve(self):
        return self.resolved_at - self.began_at if self.resolved_at else None


class PostmortemIncident(models.Model):
    """An incident a postmortem is about; an incident has at most one postmortem."""

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="links")
    incident = models.OneToOneField(
        Incident, on_delete=models.CASCADE, related_name="postmortem_link"
    )

    def __str__(self):
        return f"#{self.incident_id} in postmortem {self.postmortem_id}"


class PostmortemSection(models.Model):
    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveSmallIntegerField()
    heading = models.CharField(max_length=100)
    prompt = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True, help_text="Markdown.")

    class Meta:
        ordering = ["postmortem", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["postmortem", "position"], name="postmortem_section_position"
            )
        ]

    def __str__(self):
        return self.heading


class PostmortemEntry(models.Model):
    """One line of a postmortem's timeline: drafted from the record, or written by hand."""

    MANUAL = "manual"

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="entries")
    at = models.DateTimeField()
    # A TimelineEntry kind (or "alert", "page_sent"…) for a drafted entry; "manual" otherwise.
    kind = models.CharField(max_length=20)
    source = models.CharField(max_length=12, blank=True)
    actor_name = models.CharField(max_length=200, blank=True)
    text = models.TextField()
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What in the record the entry was drafted from ("timeline:12", "alert:7", "page:31"), so a
    # redraft adds what is new and never repeats an entry; empty for one added by hand.
    origin = models.CharField(max_length=40, blank=True)
    hidden = models.BooleanField(default=False)
    edited = models.BooleanField(default=False)
    added_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["at", "id"]
        verbose_name_plural = "postmortem entries"
        constraints = [
            models.UniqueConstraint(
                fields=["postmortem", "origin"],
                condition=~models.Q(origin=""),
                name="postmortem_entry_once",
            )
        ]

    def __str__(self):
        return f"{self.kind} at {self.at:%Y-%m-%d %H:%M:%S}"


class PostmortemReviewer(models.Model):
    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="reviewers")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    requested_at = models.DateTimeField()
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["postmortem", "person"], name="postmortem_review_once")
        ]

    def __str__(self):
        return f"{self.person} reviews {self.postmortem_id}"


class ActionItem(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Won't do"

    NOT_DONE = (Status.OPEN, Status.IN_PROGRESS)

    postmortem = models.ForeignKey(
        Postmortem, on_delete=models.CASCADE, related_name="action_items"
    )
    title = models.CharField(max_length=300)
    owner = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="action_items"
    )
    due_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    url = models.URLField(max_length=500, blank=True, help_text="The item in an external tracker.")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    # When the owner was last reminded of it being overdue: at most once a day of theirs.
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(
                fields=["due_on"],
                name="action_item_not_done_due",
                condition=models.Q(status__in=["open", "in_progress"], due_on__isnull=False),
            )
        ]

    def __str__(self):
        return self.title
