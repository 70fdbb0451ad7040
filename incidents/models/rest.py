"""Rest protection's records: each says that something was done once, and the database's unique
key is what makes it once, however many checks run at the same moment."""

from django.db import models

from oncall.models import Person, Team


class RestOffer(models.Model):
    """The person's next night on call was offered to `team` after they were woken `sleep_pages`
    times on `night` (named by its evening's local date, oncall.fatigue.night_of)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="rest_offers")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="rest_offers")
    night = models.DateField()
    sleep_pages = models.PositiveSmallIntegerField()
    # The night offered (None: not on call on any night within the look-ahead), and how many
    # cover requests were opened for it (one per schedule, or per unbroken stretch).
    offered_night = models.DateField(null=True, blank=True)
    requests_opened = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-night", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "team", "night"], name="rest_offer_once_per_night"
            )
        ]

    def __str__(self):
        return f"Rest offer for {self.person} in {self.team} after the night of {self.night}"


class RestNotice(models.Model):
    """The team's manager is (or, while they sleep, will be) told that the person was woken on
    `nights_woken` of the 7 nights ending with `night`; at most one per person and team in 7
    nights, and never two for one night."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="rest_notices")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="rest_notices")
    night = models.DateField()
    nights_woken = models.PositiveSmallIntegerField()
    manager = models.ForeignKey(
        Person, null=True, on_delete=models.SET_NULL, related_name="rest_notices_received"
    )
    created_at = models.DateTimeField()
    # Set when it went out (claimed by a conditional UPDATE, so it goes once).
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-night", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "team", "night"], name="rest_notice_once_per_night"
            )
        ]
        indexes = [
            models.Index(
                fields=["created_at"], name="rest_notice_unsent", condition=models.Q(sent_at=None)
            )
        ]

    def __str__(self):
        return f"Rest notice on {self.person} in {self.team} for the night of {self.night}"
