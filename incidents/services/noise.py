"""Noise control, as the best engines do it: at most one SMS a minute to a number, with what was
held meanwhile sent together as one message; at most three calls to a number in 15 minutes, each
carrying every incident due to that number then (one call reads them all, 4 acknowledges all).

A page that may not go yet is not dropped: it waits (pending, due when its turn comes) and the
sweep or its doorbell sends it then.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q

from incidents.models import Incident, Page
from oncall import clock
from oncall.models import ContactMethod, RehearsalTurn


def _sms_spacing() -> timedelta:
    """How long after a text to a number the next may go (PLANTAO_SMS_SPACING_SECONDS, 60)."""
    return timedelta(seconds=settings.PLANTAO_SMS_SPACING_SECONDS)


CALLS_PER_WINDOW, CALL_WINDOW = 3, timedelta(minutes=15)
# Pages one bundled text or call may carry: in a storm, one text ("1000 open: #1000 #999 ... +990
# more") that a single reply acknowledges, rather than a text a minute for hours.
BUNDLE_CLAIM_MAX = 1000
BUNDLED_KINDS = ("sms", "voice")  # the kinds of page that carry every incident due to their address


def rehearsal_page(page: Page) -> bool:
    """Whether `page` belongs to a rehearsal incident (its turns are counted apart)."""
    return page.incident_id is not None and page.incident.kind == Incident.Kind.REHEARSAL


def _turns(page: Page):
    """Return the table holding the page's number's turns: the contact method's own, or, for a
    rehearsal page, its rehearsal turns (created on first use), so a rehearsal storm never
    takes a real page's minute or call."""
    if not rehearsal_page(page):
        return ContactMethod.objects
    if not RehearsalTurn.objects.filter(pk=page.contact_method_id).exists():
        try:
            with transaction.atomic():
                RehearsalTurn.objects.create(contact_method_id=page.contact_method_id)
        except IntegrityError:
            pass  # another worker created it first (or the method is gone: nothing to count)
    return RehearsalTurn.objects


def turn_take(page: Page, *, now: datetime) -> datetime | None:
    """Take the page's turn on its contact method: None if it may go now, else when it may.

    For SMS the turn is taken atomically (a conditional UPDATE on the contact method), so two
    workers never both text the same number within the minute.
    """
    if page.contact_method_id is None:
        return None
    if page.kind == "sms":
        turns = _turns(page)
        taken = turns.filter(
            Q(quiet_until__isnull=True) | Q(quiet_until__lte=now), pk=page.contact_method_id
        ).update(quiet_until=now + _sms_spacing())
        if taken:
            return None
        quiet = (
            turns.filter(pk=page.contact_method_id).values_list("quiet_until", flat=True).first()
        )
        return quiet if quiet is not None and quiet > now else None
    if page.kind == "voice":
        return _call_turn_take(_turns(page), page.contact_method_id, now=now)
    return None


def call_turn(taken: list[datetime], now: datetime) -> tuple[datetime | None, list[datetime]]:
    """Decide whether a call may go at `now`, given the instants of the calls given turns before.

    Return (None, the instants to keep, this call's included) when it may, or (when it may,
    `taken` unchanged) when CALLS_PER_WINDOW calls already went within CALL_WINDOW.
    """
    recent = sorted(at for at in taken if at > now - CALL_WINDOW)
    if len(recent) >= CALLS_PER_WINDOW:
        return recent[-CALLS_PER_WINDOW] + CALL_WINDOW, taken
    return None, [*recent, now][-CALLS_PER_WINDOW:]


def _instants(text: str) -> list[datetime]:
    return [datetime.fromisoformat(part) for part in text.split()]


def _text(instants: list[datetime]) -> str:
    return " ".join(at.astimezone(UTC).isoformat() for at in instants)


def _call_turns_swap(rows, method_id: int, change) -> datetime | None:
    """Apply `change` (call_turn's shape) to the number's call turns in `rows` (its contact
    method's, or its rehearsal turns) by compare-and-set: read, decide, and write only if
    nobody wrote meanwhile, else read again. Return when it may go."""
    while True:
        text = rows.filter(pk=method_id).values_list("calls_at", flat=True).first()
        if text is None:
            return None  # the method is gone: nothing to count against
        wait, turns = change(_instants(text))
        new = _text(turns)
        if new == text or rows.filter(pk=method_id, calls_at=text).update(calls_at=new):
            return wait


def _call_turn_take(rows, method_id: int, *, now: datetime) -> datetime | None:
    # Counted when the turn is taken, not when the call is recorded as sent: calls still being
    # placed by other workers count too, so workers at once never place a fourth.
    return _call_turns_swap(rows, method_id, lambda taken: call_turn(taken, now))


def turn_release(page: Page, *, now: datetime, taken_at: datetime | None = None) -> None:
    """Give the turn back after a send that certainly did not happen (refused, unreachable);
    a call's turn is known by the instant it was taken (`taken_at`, None: in an earlier run)."""
    if page.contact_method_id is None:
        return
    if page.kind == "sms":
        _turns(page).filter(pk=page.contact_method_id, quiet_until=now + _sms_spacing()).update(
            quiet_until=None
        )
    elif page.kind == "voice" and taken_at is not None:
        _call_turns_swap(
            _turns(page),
            page.contact_method_id,
            lambda taken: (None, [at for at in taken if at != taken_at]),
        )


def turn_hold(page: Page, *, until: datetime) -> None:
    """Keep the number's turn for a text that waits until `until` for its place at the
    provider: the minute counts from then, so nothing else slips in before it."""
    if page.kind == "sms" and page.contact_method_id is not None:
        _turns(page).filter(
            pk=page.contact_method_id, quiet_until__lt=until + _sms_spacing()
        ).update(quiet_until=until + _sms_spacing())


def turn_close(page: Page) -> None:
    """After a text went out, count the minute from when it left us, not from when its turn was
    taken: a slow send must not bring the next text within the minute at the provider."""
    if page.kind == "sms" and page.contact_method_id is not None:
        _turns(page).filter(
            pk=page.contact_method_id, quiet_until__lt=clock.now() + _sms_spacing()
        ).update(quiet_until=clock.now() + _sms_spacing())  # only ever later


def bundle_claim(page: Page, *, now: datetime, lease_until: datetime) -> list[Page]:
    """Claim the other pages of `page`'s kind (texts, calls) due to the same contact method, for
    open incidents, to go with `page`: rehearsal pages only with rehearsal pages, real (and
    test) pages only with their own, so no text carries both."""
    same_class = Q(incident__kind=Incident.Kind.REHEARSAL)
    waiting = list(
        Page.objects.filter(
            same_class if rehearsal_page(page) else ~same_class,
            contact_method_id=page.contact_method_id,
            kind=page.kind,
            state=Page.State.PENDING,
            due_at__lte=now,
            incident__status__in=Incident.OPEN,
        )
        .exclude(pk=page.pk)
        .select_related("incident", "person")
        .order_by("due_at", "id")[:BUNDLE_CLAIM_MAX]
    )
    claimed = []
    for other in waiting:
        # Still due: an engine run may have put it back to wait for a later turn since the read.
        if Page.objects.filter(pk=other.pk, state=Page.State.PENDING, due_at__lte=now).update(
            state=Page.State.SENDING, lease_until=lease_until, attempts=F("attempts") + 1
        ):
            claimed.append(other)
    return claimed
