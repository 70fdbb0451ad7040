"""Schedules as stored: layers of rotations with restrictions, and overrides on top."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from oncall import rota
from oncall.validators import validate_time_zone

from .people import Person, Team


class Schedule(models.Model):
    name = models.CharField(max_length=100, unique=True)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="schedules")
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text="The zone the schedule is shown in by default.",
    )
    description = models.TextField(blank=True)
    # Bumped by every change to the schedule's layers, members, restrictions and overrides
    # (oncall/signals.py), so that a process may keep the compiled rota while it is unchanged.
    version = models.PositiveBigIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Layer(models.Model):
    """A rotation: participants take turns of `turn_count` `turn_unit`s from `handoff`.

    Layers with a higher `position` win where layers overlap.
    """

    class TurnUnit(models.TextChoices):
        HOURS = rota.TurnUnit.HOURS.value, "hours"
        DAYS = rota.TurnUnit.DAYS.value, "days"
        WEEKS = rota.TurnUnit.WEEKS.value, "weeks"

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="layers")
    name = models.CharField(max_length=100)
    position = models.PositiveSmallIntegerField(default=0)
    turn_unit = models.CharField(max_length=8, choices=TurnUnit.choices, default=TurnUnit.WEEKS)
    turn_count = models.PositiveSmallIntegerField(default=1)
    handoff = models.DateTimeField(help_text="An instant when the first participant's turn begins.")
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    active_from = models.DateTimeField(null=True, blank=True)
    active_until = models.DateTimeField(null=True, blank=True)
    participants = models.ManyToManyField(Person, through="LayerMember", related_name="layers")

    class Meta:
        ordering = ["schedule", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "position"], name="layer_unique_position"),
            models.CheckConstraint(
                condition=models.Q(turn_count__gte=1), name="layer_turn_count_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(active_until__isnull=True)
                | models.Q(active_from__isnull=True)
                | models.Q(active_until__gt=models.F("active_from")),
                name="layer_active_range_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.schedule} / {self.name}"

    def clean(self):
        if self.active_from and self.active_until and self.active_until <= self.active_from:
            raise ValidationError({"active_until": "The layer must end after it starts."})


class LayerMember(models.Model):
    layer = models.ForeignKey(Layer, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="layer_memberships")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["layer", "position"]
        constraints = [
            models.UniqueConstraint(fields=["layer", "position"], name="layer_member_unique_turn")
        ]

    def __str__(self):
        return f"{self.position + 1}. {self.person}"


class LayerRestriction(models.Model):
    """A window in the layer's local time when the layer is active (PagerDuty's restrictions)."""

    class Kind(models.TextChoices):
        DAILY = rota.RestrictionKind.DAILY.value, "daily"
        WEEKLY = rota.RestrictionKind.WEEKLY.value, "weekly"

    layer = models.ForeignKey(Layer, on_delete=models.CASCADE, related_name="restrictions")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.DAILY)
    start_weekday = models.PositiveSmallIntegerField(
        default=0, help_text="0 = Monday; weekly restrictions only."
    )
    start_time = models.TimeField()
    duration = models.DurationField()

    class Meta:
        ordering = ["layer", "kind", "start_weekday", "start_time"]

    def __str__(self):
        return f"{self.kind} from {self.start_time:%H:%M} for {self.duration}"


class Override(models.Model):
    """`person` covers `schedule` from `start` to `end`, whatever the layers say."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="overrides")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="overrides")
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["schedule", "start", "id"]
        indexes = [models.Index(fields=["schedule", "end"], name="override_schedule_end")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="override_ends_after_start"
            )
        ]

    def __str__(self):
        return f"{self.person} on {self.schedule} {self.start:%Y-%m-%d %H:%M}"

    def clean(self):
        if self.start and self.end and self.end <= self.start:
            raise ValidationError({"end": "An override must end after it starts."})
