"""Writes: offer a woken person's next night on call to the team, once per person, team and
night. The RestOffer row is the record: its unique key decides between two checks at once, and
the cover requests (oncall/services/cover.py, the swap flow of the web pages, audited and told
to the team) are opened in the same transaction, so they exist exactly when the row does."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from incidents.models import RestOffer
from incidents.rest.nights import LOOK_AHEAD_NIGHTS, Span, next_night_on_call
from oncall import fatigue, selectors
from oncall.models import Person, Schedule, Team
from oncall.services.cover import cover_request_create

log = logging.getLogger(__name__)


def night_name(night: date) -> str:
    """Return a night as people say it: "Mon 7 Dec" (its evening's date)."""
    return f"{night:%a} {night.day} {night:%b}"


def offer_note(*, person: Person, sleep_pages: int, night: date) -> str:
    times = "once" if sleep_pages == 1 else f"{sleep_pages} times"
    return f"Rest protection: {person.display_name} was woken {times} on the night of " + (
        f"{night_name(night)}."
    )


def _person_spans(*, person: Person, team: Team, since: datetime, until: datetime) -> list[Span]:
    """Return the person's final shifts on the team's schedules over [since, until)."""
    shifts = selectors.schedule_shifts(
        since=since, until=until, schedules=Schedule.objects.filter(team=team)
    )
    return [
        Span(schedule.pk, piece.start, piece.end)
        for schedule, pieces in shifts.items()
        for piece in pieces
        if piece.person is not None and piece.person.pk == person.pk
    ]


@transaction.atomic
def rest_offer_open(
    *, person: Person, team: Team, night: date, sleep_pages: int, now: datetime
) -> RestOffer | None:
    """Offer `person`'s next night on call on `team`'s schedules to the team, after they were
    woken `sleep_pages` times on `night`; None if that was done already (by any process)."""
    try:
        with transaction.atomic():
            offer = RestOffer.objects.create(
                person=person, team=team, night=night, sleep_pages=sleep_pages, created_at=now
            )
    except IntegrityError:
        return None  # offered already, by this check or another at the same moment
    since, _ = fatigue.night_window(night + timedelta(days=1), person.time_zone)
    _, until = fatigue.night_window(night + timedelta(days=LOOK_AHEAD_NIGHTS), person.time_zone)
    spans = _person_spans(person=person, team=team, since=max(since, now), until=until)
    found = next_night_on_call(spans, after=night, time_zone=person.time_zone, now=now)
    if found is None:
        return offer
    offer.offered_night, spans = found
    schedules = {s.pk: s for s in Schedule.objects.filter(pk__in={span.key for span in spans})}
    note = offer_note(person=person, sleep_pages=sleep_pages, night=night)
    for span in spans:
        try:
            cover_request_create(
                schedule=schedules[span.key],
                asker=person,
                start=span.start,
                end=span.end,
                note=note,
            )
        except ValidationError as error:  # the rota changed under us: offer what still holds
            log.warning("rest offer %s: no cover request on %s: %s", offer.pk, span.key, error)
        else:
            offer.requests_opened += 1
    offer.save(update_fields=["offered_night", "requests_opened"])
    return offer
