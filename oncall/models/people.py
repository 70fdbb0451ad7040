"""People, the teams they belong to, and how they want to be reached."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from oncall.validators import ADDRESS_VALIDATORS, validate_time_zone


class Person(models.Model):
    """Someone who can be on call: a Django user with a display name, time zone and locale."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="person"
    )
    display_name = models.CharField(max_length=150)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    locale = models.CharField(max_length=16, default="en")
    # Whose public holidays the person keeps (ISO 3166 country, and a subdivision the `holidays`
    # package knows, e.g. BR / SP); blank country means the country of their time zone.
    holiday_country = models.CharField(max_length=2, blank=True)
    holiday_subdivision = models.CharField(max_length=10, blank=True)

    class Meta:
        ordering = ["display_name"]

    def __str__(self):
        return self.display_name


class Team(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    slack_channel = models.CharField(
        max_length=32, blank=True, help_text="Slack channel id for handoff summaries and pages."
    )
    manager = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="managed_teams"
    )
    members = models.ManyToManyField(Person, through="Membership", related_name="teams")
    # Rest protection (off while empty): after a night with this many sleep-hours pages or more,
    # the person's next night on call is offered to the team as a cover request.
    rest_after_sleep_pages = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)]
    )
    # The manager is told when someone has been woken on this many of the last 7 nights.
    rest_notice_nights = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(7)]
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        VIEWER = "viewer", "Viewer"
        RESPONDER = "responder", "Responder"
        ADMIN = "admin", "Admin"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.RESPONDER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "person"], name="membership_unique_person")
        ]

    def __str__(self):
        return f"{self.person} in {self.team} ({self.role})"


class ContactMethod(models.Model):
    """A way to reach a person; only verified methods are ever used for pages."""

    class Kind(models.TextChoices):
        SMS = "sms", "SMS"
        VOICE = "voice", "Voice call"
        EMAIL = "email", "E-mail"
        SLACK = "slack", "Slack"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="contact_methods")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    address = models.CharField(
        max_length=254, help_text="E.164 phone number, e-mail address or Slack member id."
    )
    label = models.CharField(max_length=50, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Noise control: no page goes to this method before this instant (one SMS a minute per
    # number, as GoAlert does); the pages held meanwhile go out together, as one message.
    quiet_until = models.DateTimeField(null=True, blank=True, editable=False)
    # Noise control: the instants of the last calls this number was given a turn for (at most
    # three, ISO-8601 UTC, space-separated), taken by compare-and-set (incidents/services/noise).
    calls_at = models.CharField(max_length=120, blank=True, default="", editable=False)
    # Verification: the SHA-256 of the code last sent to this address, until when it works, and
    # how many wrong codes were tried against it.
    verification_digest = models.CharField(max_length=64, blank=True, editable=False)
    verification_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    verification_attempts = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["person", "kind", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "kind", "address"], name="contact_method_unique_address"
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.address}"

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    def clean(self):
        validate = ADDRESS_VALIDATORS.get(self.kind)
        if validate is not None and self.address:
            try:
                validate(self.address)
            except ValidationError as error:
                raise ValidationError({"address": error.messages}) from error


class NotificationRule(models.Model):
    """Reach the person by `contact_method` `delay_minutes` after a page (as PagerDuty does)."""

    class Urgency(models.TextChoices):
        HIGH = "high", "High urgency"
        LOW = "low", "Low urgency"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="notification_rules")
    contact_method = models.ForeignKey(
        ContactMethod, on_delete=models.CASCADE, related_name="notification_rules"
    )
    delay_minutes = models.PositiveSmallIntegerField(default=0)
    urgency = models.CharField(max_length=4, choices=Urgency.choices, default=Urgency.HIGH)

    class Meta:
        ordering = ["person", "urgency", "delay_minutes", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["contact_method", "delay_minutes", "urgency"],
                name="notification_rule_unique",
            )
        ]

    def __str__(self):
        return f"{self.contact_method} after {self.delay_minutes} min ({self.urgency})"

    def clean(self):
        if (
            self.contact_method_id
            and self.person_id
            and self.contact_method.person_id != self.person_id
        ):
            raise ValidationError({"contact_method": "The contact method belongs to someone else."})
