"""Pages: create them from people's notification rules, send each once, record what happened.

A page is a row unique on (incident, step, loop, person, rule): a second send is impossible.
Sending claims the row with a conditional UPDATE (pending -> sending, with a lease); a sender
that dies mid-send leaves it "sending" until reconciliation asks the channel what it has.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Subquery
from django.db.models.constants import OnConflict

from incidents import render
from incidents.links import incident_url
from incidents.models import Incident, Page, TimelineEntry
from incidents.models.choices import Source, Urgency
from incidents.rest.protection import rest_checks_queue
from incidents.rows import ids_update, rows_update
from incidents.services import email_links, noise
from incidents.services.doorbell import MAX_COUNTDOWN, SEND, ring
from incidents.services.timeline import timeline_add
from incidents.tallies import first_pages_record
from oncall import clock, fatigue, pacing
from oncall.channels.base import ChannelError, LookupUnsupported, Message, OutcomeUnknown
from oncall.channels.registry import channel_for
from oncall.models import ContactMethod, NotificationRule, Person

log = logging.getLogger(__name__)

MAX_SEND_ATTEMPTS = 4  # a page the provider turns away for now is tried this often in all
RETRY_BACKOFF = timedelta(seconds=5)  # then 10 s, 20 s

# The pages that carry a link to the incident's web page.
LINKED_KINDS = (ContactMethod.Kind.EMAIL, ContactMethod.Kind.SLACK)


def _lease() -> timedelta:
    """How long a claimed page may stay "sending" before it is reconciled."""
    return timedelta(seconds=settings.PLANTAO_ENGINE_LEASE_SECONDS)


def page_due(*, urgency: str, time_zone: str, at: datetime) -> datetime:
    """Return when a page meant to go at `at` may go: a low-urgency page waits out the person's
    sleep hours, until 08:00 in their zone. Every timing of a page passes here: its creation,
    its wait for a turn at the number or a place at the provider, a retry, a call brought
    forward."""
    if urgency == Urgency.LOW:
        return fatigue.next_daytime(at, time_zone)
    return at


@dataclass(frozen=True)
class PageRequest:
    """Page `people` for `incident`, as step `step` of loop `loop` (step -1: a responder)."""

    incident: Incident
    people: list[Person]
    step: int
    loop: int


def pages_create_many(
    requests: Iterable[PageRequest], *, fired_at: datetime, send_due: bool = False
) -> dict[int, list[Page]]:
    """Create one pending page per person and matching notification rule; ring those due soon.

    Return the pages created, by incident id. Three statements whatever the number of
    requests: the rules, the pages already waiting, one INSERT. Only verified contact methods
    are used. Low-urgency pages wait for the person's daytime. The unique key (incident, step,
    loop, person, rule) makes a second page impossible. With `send_due`, pages already due are
    not rung: the caller sends them after commit (and if it dies first, the sweep finds them due
    and not rung).
    """
    requests = [r for r in requests if r.people]
    created: dict[int, list[Page]] = {r.incident.pk: [] for r in requests}
    if not requests:
        return created
    people = {p.pk for r in requests for p in r.people}
    rules: dict[tuple[int, str], list[NotificationRule]] = {}
    for rule in (
        NotificationRule.objects.filter(
            person__in=people,
            urgency__in={r.incident.urgency for r in requests},
            contact_method__verified_at__isnull=False,
        )
        .select_related("contact_method")
        .order_by("person_id", "delay_minutes", "id")
    ):
        rules.setdefault((rule.person_id, rule.urgency), []).append(rule)
    # A page still waiting to go out (say, for the person's morning) is not queued twice.
    waiting = set(
        Page.objects.filter(
            incident__in=list(created), person__in=people, state=Page.State.PENDING
        ).values_list("incident_id", "person_id", "rule_id")
    )
    pages = []
    for request in requests:
        incident = request.incident
        for person in request.people:
            for rule in rules.get((person.pk, incident.urgency), ()):
                if (incident.pk, person.pk, rule.pk) in waiting:
                    continue
                due = page_due(
                    urgency=incident.urgency,
                    time_zone=person.time_zone,
                    at=fired_at + timedelta(minutes=rule.delay_minutes),
                )
                page = Page(
                    incident=incident,
                    step=request.step,
                    loop=request.loop,
                    person=person,
                    rule_id=rule.pk,
                    contact_method=rule.contact_method,
                    kind=rule.contact_method.kind,
                    address=rule.contact_method.address,
                    urgency=incident.urgency,
                    due_at=due,
                    created_at=fired_at,
                )
                # Rung on commit below unless sent by the caller or left to the sweep (too far
                # off): recorded now, in the same INSERT, so the sweep does not ring it again.
                if not (send_due and due <= fired_at) and due - fired_at <= MAX_COUNTDOWN:
                    page.rung_for, page.rung_at = due, fired_at
                pages.append(page)
    if not pages:
        return created
    returned = Page.objects._insert(
        pages,
        fields=[f for f in Page._meta.concrete_fields if not f.primary_key],
        returning_fields=[
            Page._meta.get_field(f) for f in ("id", "incident", "step", "loop", "person", "rule_id")
        ],
        on_conflict=OnConflict.IGNORE,
    )
    ids = {tuple(key): pk for pk, *key in (row for row in returned if row)}
    for page in pages:  # the unique key may have turned some away: not ours to ring or send
        page.pk = ids.get((page.incident_id, page.step, page.loop, page.person_id, page.rule_id))
        if page.pk is not None:
            created[page.incident_id].append(page)
            if page.rung_for is not None:
                ring(SEND, page.pk, due_at=page.due_at, now=fired_at)
    return created


def pages_create(
    *,
    incident: Incident,
    people: list[Person],
    step: int,
    loop: int,
    fired_at: datetime,
    send_due: bool = False,
) -> list[Page]:
    """Create the pages of one incident's step (see pages_create_many)."""
    return pages_create_many(
        [PageRequest(incident, people, step, loop)], fired_at=fired_at, send_due=send_due
    ).get(incident.pk, [])


def pages_send_created(
    pages: Iterable[Page], *, now: datetime, clock: Callable[[], datetime] | None = None
) -> None:
    """Send pages just created, from memory: the claim is the only read-back.

    One UPDATE claims them all (texts and calls one at a time, see below), one INSERT makes
    their e-mails' link keys, and what was sent is recorded together at the end (pages_sent).
    Had the incident been acknowledged or resolved meanwhile, its pending pages were cancelled
    and the claim finds nothing. With `clock`, each page is stamped with when it really left,
    not when its batch fired (a batch of many pages takes a while).
    """
    pages = list(pages)
    at = max(now, clock()) if clock is not None else now
    # A text or a call is claimed when its turn comes, as it goes: it may carry the pages of
    # the same number still pending then (bundle_claim), which a claim of them all would stop.
    alone = [page.pk for page in pages if page.kind not in noise.BUNDLED_KINDS]
    claimed = _claim_many(alone, now=at)
    links = email_links.action_urls_many(
        [page for page in pages if page.pk in claimed and page.kind == ContactMethod.Kind.EMAIL],
        now=at,
    )
    sent: list[Sent] = []
    waiting = set(claimed)  # claimed, not yet handed to their channel
    turns: dict[tuple, tuple[datetime, bool]] = {}  # numbers found busy: see _turn_key
    riders: dict[tuple, list[int]] = {}
    try:
        for page in pages:
            at = max(now, clock()) if clock is not None else now
            key = _turn_key(page) if page.kind in noise.BUNDLED_KINDS else None
            if key in turns:
                # Its number's turn was found taken by a page before it in this batch: it
                # waits with that one, for the same turn and ring, without asking again.
                riders.setdefault(key, []).append(page.pk)
            elif page.pk in claimed or (
                page.kind in noise.BUNDLED_KINDS
                and _claim(page.pk, now=at, state=Page.State.PENDING, due_at__lte=at)
            ):
                waiting.discard(page.pk)
                _deliver(page, now=at, sent=sent, urls=links.get(page.pk), turns=turns)
        _riders_wait(riders, turns)
    except BaseException:
        # What was claimed and not tried goes back to wait for the sweep, as if never claimed
        # (the page that raised stays "sending": reconciliation asks its channel).
        Page.objects.filter(pk__in=waiting, state=Page.State.SENDING).update(
            state=Page.State.PENDING, lease_until=None, attempts=F("attempts") - 1
        )
        raise
    finally:
        # Recorded even if a later send raised; a page sent but never recorded (the worker
        # died) stays "sending" until reconciliation asks its channel.
        pages_sent(sent)


def _message(page: Page, *, now: datetime, urls: dict[str, str] | None = None) -> Message:
    incident = page.incident
    words = {"number": incident.number, "severity": incident.severity, "title": incident.title}
    if page.kind == "email":
        urls = urls or email_links.action_urls(page, now=now)
        body = render.page_email(
            **words,
            acknowledge_url=urls[email_links.ACKNOWLEDGE],
            resolve_url=urls[email_links.RESOLVE],
            incident_url=incident_url(incident.number),
        )
    else:
        body = render.page_sms(**words)
    return Message(
        reference=page.reference,
        kind=page.kind,
        address=page.address,
        subject=render.page_subject(**words),
        body=body,
        mentions=(f"#{incident.number}",),
        # The SMS and the call leave it out: the SMS stays one segment.
        link=incident_url(incident.number) if page.kind in LINKED_KINDS else "",
    )


def _claim_many(page_ids: list[int], *, now: datetime) -> set[int]:
    """Claim the pages of `page_ids` still pending and due, in one conditional UPDATE; return
    the ids claimed (another worker's, or a cancelled page's, are not)."""
    return ids_update(
        Page,
        ids=page_ids,
        assign="state = %s, lease_until = %s, attempts = attempts + 1",
        assign_params=[Page.State.SENDING, now + _lease()],
        where="state = %s AND due_at <= %s",
        where_params=[Page.State.PENDING, now],
    )


def _claim(page_id: int, *, now: datetime, **condition) -> bool:
    return bool(
        Page.objects.filter(pk=page_id, **condition).update(
            state=Page.State.SENDING, lease_until=now + _lease(), attempts=F("attempts") + 1
        )
    )


def page_send(*, page_id: int, now: datetime) -> str | None:
    """Send one due page, once: claim it, hand it to its channel, record what happened.

    A page that can no longer go hands its doorbell on to a page that rode on it (_rider).
    """
    state = _send(page_id, now=now)
    if state is None or state == Page.State.CANCELLED:
        rider = _rider(page_id, now=now)
        if rider is not None:
            _send(rider, now=now)
    return state


def _send(page_id: int, *, now: datetime) -> str | None:
    if not _claim(page_id, now=now, state=Page.State.PENDING, due_at__lte=now):
        return None
    page = Page.objects.select_related("incident", "person").get(pk=page_id)
    if page.incident.status != Incident.Status.TRIGGERED and page.step >= 0:
        Page.objects.filter(pk=page_id, state=Page.State.SENDING).update(
            state=Page.State.CANCELLED, lease_until=None
        )
        return Page.State.CANCELLED
    return _deliver(page, now=now)


def _deliver(
    page: Page,
    *,
    now: datetime,
    sent: list[Sent] | None = None,
    urls: dict[str, str] | None = None,
    turns: dict[tuple, tuple[datetime, bool]] | None = None,
) -> str | None:
    """Hand a claimed page to its channel, in its turn: an SMS held back by the one-a-minute
    limit waits, and goes out with whatever else is due to that number then; a page beyond the
    provider's throughput (one SMS segment a second per number) waits for its reserved instant.

    What the channel took is recorded at once, or, given `sent`, added to it for the caller to
    record with others (pages_sent). `urls`: the e-mail's links, made beforehand. `turns`: where
    to note a number found busy, and until when its page waits (see pages_send_created).
    """
    # A page back from waiting for its reserved instant had its turn and its place taken then.
    held = page.paced_at is not None
    turn_at = None if held else now  # when this run took the page's turn, to give it back
    if not held:
        turn = noise.turn_take(page, now=now)
        if turn is not None:
            return _defer(page, until=turn, now=now, turns=turns)
    channel = _channel(page)
    message = _message(page, now=now, urls=urls)
    pace = channel.pace(message)
    if pace is not None and not held:
        start = pacing.pace_reserve(pace, now=now)
        if start - now > pacing.WAIT_IN_PROCESS:
            noise.turn_hold(page, until=start)
            return _defer(page, until=start, now=now, paced=True)
    together = [page]
    if page.kind in noise.BUNDLED_KINDS:
        together += noise.bundle_claim(page, now=now, lease_until=now + _lease())
    if len(together) > 1:
        message = _bundle_message(together)  # one segment, as the single page's text
    if pace is not None:
        pacing.pace_depart(pace)  # waits out a place a moment off, or a late predecessor
        now = clock.now()
    try:
        result = channel.send(message)
    except OutcomeUnknown as error:
        # Leave them "sending": once the lease runs out, reconciliation asks the provider.
        log.warning("page %s: outcome unknown (%s)", page.pk, error)
        return None
    except ChannelError as error:
        noise.turn_release(page, now=now, taken_at=turn_at)
        states = []
        for each in together:
            if error.retryable and _retry_later(each, now=now):
                states.append(Page.State.PENDING)
            else:
                states.append(page_failed(page=each, reason=error.reason, now=now))
        log.warning("page %s: %s", page.pk, error.reason)
        return states[0]
    noise.turn_close(page)
    done = [Sent(each, result.provider_id, result.status, now) for each in together]
    if sent is None:
        pages_sent(done)
    else:
        sent.extend(done)
    return done[0].state


def _channel(page: Page):
    """Return the page's channel: a rehearsal incident's pages reach no one (the rehearsal
    channel); real and test pages go to the real providers."""
    return channel_for(page.kind, rehearsal=page.incident.kind == Incident.Kind.REHEARSAL)


def _defer(
    page: Page,
    *,
    until: datetime,
    now: datetime,
    paced: bool = False,
    turns: dict[tuple, tuple[datetime, bool]] | None = None,
) -> str:
    """Put a claimed page back to wait for its turn (not an attempt: it was never tried);
    `paced`: it holds the instant it reserved at the provider, and goes then as it is.

    Pages waiting for the same turn at the same number go then as one message, so one doorbell
    rings for them all: a page that finds another already rung for that turn rides on its ring
    (rung_for set, rung_at left empty) instead of queueing a task of its own. A storm that holds
    a thousand texts for one number costs the workers one task at the turn, not a thousand that
    would all fall due at that instant and keep escalations waiting behind them. In `turns`,
    the number's wait is noted for the pages after it in the same batch.
    """
    due = _page_due(page, until)
    if due != until:  # moved past the person's sleep: the place it reserved is lost
        until, paced = due, False
    soon = until - now <= MAX_COUNTDOWN
    # Looked for before this page is put back, so that of pages deferred at once the first to
    # commit always rings (a later one sees it, an earlier one rang itself).
    rides = soon and not paced and _turn_rung(page, until)
    waits = Page.objects.filter(pk=page.pk, state=Page.State.SENDING).update(
        state=Page.State.PENDING,
        due_at=until,
        rung_for=until if soon else None,
        rung_at=now if soon and not rides else None,
        lease_until=None,
        paced_at=until if paced else None,
        attempts=F("attempts") - 1,
    )
    if waits and soon and not rides:
        ring(SEND, page.pk, due_at=until, now=now)
    if waits and turns is not None and not paced:
        # Its ring (its own, or the one it rides on) is the one the pages after it ride on.
        turns[_turn_key(page)] = (until, soon)
    return Page.State.PENDING


def _turn_key(page: Page) -> tuple:
    """What makes two pages wait for the same turn until the same instant: the same number and
    kind, real or rehearsal (their turns are counted apart), and urgency (page_due moves a low
    one past its person's sleep)."""
    return (page.contact_method_id, page.kind, noise.rehearsal_page(page), page.urgency)


def _riders_wait(riders: dict[tuple, list[int]], turns: dict) -> None:
    """Put the pages of `riders` (never claimed) to wait as the first page of their number did,
    one UPDATE a number: due at its turn, riding on the ring already made for it (rung_for set,
    rung_at empty: see _defer), or, when that is too far off to ring, left to the sweep."""
    for key, ids in riders.items():
        until, soon = turns[key]
        Page.objects.filter(pk__in=ids, state=Page.State.PENDING).update(
            due_at=until, rung_for=until if soon else None, rung_at=None
        )


def _turn_rung(page: Page, until: datetime) -> bool:
    """Whether another page of `page`'s kind to its number waits for the turn at `until` with a
    doorbell of its own (not riding on one), whose task will send this page with it."""
    if page.kind not in noise.BUNDLED_KINDS or page.contact_method_id is None:
        return False
    return (
        Page.objects.filter(
            contact_method_id=page.contact_method_id,
            kind=page.kind,
            state=Page.State.PENDING,
            due_at=until,
            rung_for=until,
            rung_at__isnull=False,
            paced_at__isnull=True,
        )
        .exclude(pk=page.pk)
        .exists()
    )


def _rider(page_id: int, *, now: datetime) -> int | None:
    """Return a due page riding on `page_id`'s doorbell (see _defer), when `page_id` itself can
    no longer go (its incident was acknowledged, or it went with another message): the ring
    must still carry the pages that rode on it."""
    own = Page.objects.filter(pk=page_id, kind__in=noise.BUNDLED_KINDS)
    return (
        Page.objects.filter(
            contact_method_id=Subquery(own.values("contact_method_id")[:1]),
            kind=Subquery(own.values("kind")[:1]),
            state=Page.State.PENDING,
            due_at__lte=now,
            rung_for__isnull=False,
            rung_at__isnull=True,
            incident__status__in=Incident.OPEN,
        )
        .order_by("due_at", "id")
        .values_list("pk", flat=True)
        .first()
    )


def _page_due(page: Page, at: datetime) -> datetime:
    return page_due(urgency=page.urgency, time_zone=page.person.time_zone, at=at)


def _bundle_message(pages: list[Page]) -> Message:
    first = pages[0]
    incidents = {p.incident_id: p.incident for p in pages}
    items = [(i.number, i.severity, i.title) for i in incidents.values()]
    return Message(
        reference=first.reference,
        kind=first.kind,
        address=first.address,
        subject=f"[Plantao] {len(items)} open incidents",
        body=render.page_sms_bundle(items),
        mentions=tuple(f"#{number}" for number, _, _ in items),
        also=tuple(p.reference for p in pages[1:]),
    )


def _retry_later(page: Page, *, now: datetime) -> bool:
    """Put a page the provider turned away for now (429, unreachable) back in line, a little
    later each time; False once it has had its attempts."""
    due = _page_due(page, now + RETRY_BACKOFF * 2 ** max(0, page.attempts - 1))
    soon = due - now <= MAX_COUNTDOWN
    changed = Page.objects.filter(
        pk=page.pk, state=Page.State.SENDING, attempts__lt=MAX_SEND_ATTEMPTS
    ).update(
        state=Page.State.PENDING,
        due_at=due,
        rung_for=due if soon else None,
        rung_at=now if soon else None,
        lease_until=None,
        paced_at=None,  # a new try takes a new place at the provider
    )
    if changed and soon:
        ring(SEND, page.pk, due_at=due, now=now)
    return bool(changed)


@dataclass(frozen=True)
class Sent:
    """A page its channel took: the provider's id and word for it, and when."""

    page: Page
    provider_id: str
    status: str
    at: datetime

    @property
    def state(self) -> str:
        return Page.State.DELIVERED if self.status == "delivered" else Page.State.SENT


def page_sent(*, page: Page, provider_id: str, status: str, now: datetime) -> str:
    """Record that the channel took the page, with the person's local time (fatigue)."""
    sent = Sent(page, provider_id, status, now)
    pages_sent([sent])
    return sent.state


def pages_sent(sent: list[Sent]) -> set[int]:
    """Record that the channel took these pages, each with the person's local time (fatigue),
    in one transaction: one UPDATE of the pages still "sending", the first-page tallies, one
    timeline INSERT. Return the ids of the pages this recorded (not those another record, say a
    status callback, took first)."""
    if not sent:
        return set()
    rows, local = [], {}
    for each in sent:
        local[each.page.pk] = fatigue.interruption_at(each.at, each.page.person.time_zone)
        at, interruption = local[each.page.pk]
        rows.append(
            (
                each.page.pk,
                each.state,
                each.provider_id,
                each.at,
                at.isoformat(timespec="seconds"),
                str(interruption),
            )
        )
    with transaction.atomic():
        changed = rows_update(
            Page,
            fields=["id", "state", "provider_id", "sent_at", "local_time", "interruption"],
            rows=rows,
            also=(
                "delivered_at = CASE WHEN v.v_state = %s THEN v.v_sent_at ELSE NULL END, "
                "lease_until = NULL, paced_at = NULL, error = ''"
            ),
            where="state = %s",
            params=[Page.State.DELIVERED, Page.State.SENDING],
        )
        done = [each for each in sent if each.page.pk in changed]
        first: dict[int, datetime] = {}
        for each in done:
            first[each.page.incident_id] = min(each.at, first.get(each.page.incident_id, each.at))
        if first:
            first_pages_record(sent=first)
        entries = []
        for each in done:
            page = each.page
            at, interruption = local[page.pk]
            entries.append(
                TimelineEntry(
                    incident_id=page.incident_id,
                    kind=TimelineEntry.Kind.PAGE_SENT,
                    at=each.at,
                    source=Source.ENGINE,
                    message=f"{page.kind} to {page.person.display_name} "
                    f"({interruption} hours, {at:%H:%M} there).",
                    data={"page": page.pk, "kind": page.kind, "person": page.person_id},
                )
            )
        TimelineEntry.objects.bulk_create(entries)
        rest_checks_queue(
            person_ids=[
                each.page.person_id
                for each in done
                if local[each.page.pk][1] is fatigue.Interruption.SLEEP
                and each.page.incident.kind == Incident.Kind.REAL
            ]
        )
    return changed


def page_failed(*, page: Page, reason: str, now: datetime, states=(Page.State.SENDING,)) -> str:
    """Record that the page cannot go out, and why; the person's next contact method goes now."""
    changed = Page.objects.filter(pk=page.pk, state__in=states).update(
        state=Page.State.FAILED, failed_at=now, error=reason[:500], lease_until=None
    )
    if changed:
        timeline_add(
            incident=page.incident_id,
            kind=TimelineEntry.Kind.PAGE_FAILED,
            at=now,
            message=f"{page.kind} to {page.person.display_name} failed: {reason}",
            data={"page": page.pk},
        )
        _next_method_now(page, now=now)
    return Page.State.FAILED


def _next_method_now(page: Page, *, now: datetime) -> None:
    """Bring the person's next contact method for this step forward to now (a failed SMS: the
    call planned for later goes at once)."""
    following = (
        Page.objects.filter(
            incident_id=page.incident_id,
            step=page.step,
            loop=page.loop,
            person_id=page.person_id,
            state=Page.State.PENDING,
            due_at__gt=now,
        )
        .order_by("due_at", "id")
        .first()
    )
    if following is None:
        return
    due = page_due(urgency=following.urgency, time_zone=page.person.time_zone, at=now)
    soon = due - now <= MAX_COUNTDOWN
    if (
        due < following.due_at
        and Page.objects.filter(pk=following.pk, state=Page.State.PENDING).update(
            due_at=due, rung_for=due if soon else None, rung_at=now if soon else None
        )
        and soon
    ):
        ring(SEND, following.pk, due_at=due, now=now)


def page_reconcile(*, page_id: int, now: datetime) -> str | None:
    """Settle a page whose sender vanished mid-send: ask the provider, never send blindly twice."""
    if not _claim(page_id, now=now, state=Page.State.SENDING, lease_until__lt=now):
        return None
    page = Page.objects.select_related("incident", "person").get(pk=page_id)
    channel = _channel(page)
    try:
        known = channel.lookup(
            page.reference, message=_message(page, now=now), since=page.created_at
        )
    except LookupUnsupported:
        return page_failed(
            page=page, reason="outcome unknown and the channel cannot tell; not repeated", now=now
        )
    except OutcomeUnknown as error:
        # The provider cannot say yet: the claim renewed the lease; the sweep asks again then.
        log.warning("page %s: still unknown (%s)", page.pk, error)
        return None
    if known is not None:
        return page_sent(page=page, provider_id=known.provider_id, status=known.status, now=now)
    page.paced_at = None  # the place it held went to the send that never arrived: queue anew
    if page.incident.status != Incident.Status.TRIGGERED and page.step >= 0:
        Page.objects.filter(pk=page_id, state=Page.State.SENDING).update(
            state=Page.State.CANCELLED, lease_until=None
        )
        return Page.State.CANCELLED
    return _deliver(page, now=now)


# Twilio's words: an SMS is delivered or fails; a call completes (a person or a voicemail
# answered) or fails to reach anyone.
DELIVERED = ("delivered", "completed")
FINAL_FAILURES = ("failed", "undelivered", "busy", "no-answer", "canceled")


def page_status(
    *, page_id: int, provider_id: str, status: str, error_code: str, now: datetime
) -> str | None:
    """Apply a provider's status callback to a page; return the page's new state, or None when
    the callback changes nothing (a duplicate, an older status arriving late, another send).

    Callbacks may come twice and out of order, and may overtake the sender's own record of the
    send: only forward moves are taken (sending/sent -> delivered, sending/sent -> failed).
    """
    page = Page.objects.select_related("incident", "person").filter(pk=page_id).first()
    if page is None or (page.provider_id and provider_id and page.provider_id != provider_id):
        return None
    if status in DELIVERED:
        if page.state == Page.State.SENDING:
            return page_sent(page=page, provider_id=provider_id, status="delivered", now=now)
        changed = Page.objects.filter(pk=page.pk, state=Page.State.SENT).update(
            state=Page.State.DELIVERED, delivered_at=now
        )
        return Page.State.DELIVERED if changed else None
    if status in FINAL_FAILURES:
        code = f", error {error_code}" if error_code else ""
        if page.state not in (Page.State.SENDING, Page.State.SENT):
            return None
        if not page.provider_id:
            Page.objects.filter(pk=page.pk).update(provider_id=provider_id)
        return page_failed(
            page=page,
            reason=f"the provider reports {status}{code}",
            now=now,
            states=(Page.State.SENDING, Page.State.SENT),
        )
    return None
