"""Integrations: make one and its secret token, rotate the token, recognise it, take heartbeats."""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from incidents.ingest import samples
from incidents.ingest.base import AlertEvent
from incidents.models import Incident, Integration, Service
from incidents.models.integrations import token_digest
from incidents.services.alerts import IngestResult, alerts_ingest, heartbeat_key
from oncall import clock
from oncall.audit import audit_action

# 24 random bytes: 192 bits, exactly 32 URL-safe characters, the length PagerDuty keys have.
TOKEN_BYTES = 24
HINT_LENGTH = 6
HEARTBEAT_MIN_INTERVAL_SECONDS = 60
HEARTBEAT_DEFAULT_INTERVAL_SECONDS = 300
HEARTBEAT_MAX_INTERVAL_SECONDS = 7 * 24 * 3600
RATE_LIMIT_MAX = 1_000_000
ROTATE_GRACE_DEFAULT = timedelta(hours=24)
ROTATE_GRACE_MAX = timedelta(days=7)
# Each web process remembers a recognised token this long, sparing a query per alert. The cost:
# a token rotated out without grace, or a deleted integration, may be taken by other processes
# for up to this long afterwards (the process that rotates forgets at once; a caller that promises
# the old token is dead waits for the others with `tokens_forgotten_everywhere`).
TOKEN_CACHE_SECONDS = 2.0
_recognised: dict[str, tuple[float, Integration]] = {}


def _token_new() -> tuple[str, str]:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, token_digest(token)


def _check_options(kind: str, interval: int | None, rate_limit: int | None) -> None:
    problems = {}
    if kind not in Integration.Kind.values:
        problems["kind"] = (
            f"Unknown kind {kind!r}; use one of {', '.join(Integration.Kind.values)}."
        )
    if kind == Integration.Kind.HEARTBEAT:
        if interval is None or interval < HEARTBEAT_MIN_INTERVAL_SECONDS:
            problems["heartbeat_interval_seconds"] = (
                f"A heartbeat needs an interval of at least {HEARTBEAT_MIN_INTERVAL_SECONDS} s."
            )
        elif interval > HEARTBEAT_MAX_INTERVAL_SECONDS:
            problems["heartbeat_interval_seconds"] = (
                f"Give an interval of at most {HEARTBEAT_MAX_INTERVAL_SECONDS} s (7 days)."
            )
    elif interval is not None:
        problems["heartbeat_interval_seconds"] = "Only heartbeat integrations have an interval."
    if rate_limit is not None and not 1 <= rate_limit <= RATE_LIMIT_MAX:
        problems["rate_limit_per_second"] = f"Allow from one to {RATE_LIMIT_MAX} requests a second."
    if problems:
        raise ValidationError(problems)


@transaction.atomic
def integration_create(
    *,
    service: Service,
    kind: str,
    name: str = "",
    heartbeat_interval_seconds: int | None = None,
    rate_limit_per_second: int | None = None,
    now: datetime | None = None,
) -> tuple[Integration, str]:
    """Create an integration of `service`; return it and its token, which is stored only hashed.

    A heartbeat without an interval gets HEARTBEAT_DEFAULT_INTERVAL_SECONDS.
    """
    if service.archived_at is not None:
        raise ValidationError({"service": f"{service.name} is archived; it takes no integrations."})
    if kind == Integration.Kind.HEARTBEAT and heartbeat_interval_seconds is None:
        heartbeat_interval_seconds = HEARTBEAT_DEFAULT_INTERVAL_SECONDS
    _check_options(kind, heartbeat_interval_seconds, rate_limit_per_second)
    now = now or clock.now()
    token, digest = _token_new()
    integration = Integration(
        service=service,
        kind=kind,
        name=name,
        token_digest=digest,
        token_hint=token[:HINT_LENGTH],
        heartbeat_interval_seconds=heartbeat_interval_seconds,
    )
    if rate_limit_per_second is not None:
        integration.rate_limit_per_second = rate_limit_per_second
    if kind == Integration.Kind.HEARTBEAT:
        integration.heartbeat_due_at = now + timedelta(seconds=heartbeat_interval_seconds)
    integration.full_clean()
    integration.save()
    return integration, token


@transaction.atomic
def integration_update(
    *, integration: Integration, changes: Mapping[str, object], now: datetime
) -> Integration:
    """Change the name, rate limit or (of a heartbeat) interval of `integration`, as given in
    `changes`; a new interval counts from the last ping (or from now, if none came yet)."""
    locked = Integration.objects.select_for_update().get(pk=integration.pk)
    interval = changes.get("heartbeat_interval_seconds", locked.heartbeat_interval_seconds)
    rate_limit = changes.get("rate_limit_per_second", locked.rate_limit_per_second)
    _check_options(locked.kind, interval, rate_limit)
    if "name" in changes:
        locked.name = changes["name"]
    locked.rate_limit_per_second = rate_limit
    if interval != locked.heartbeat_interval_seconds:
        locked.heartbeat_interval_seconds = interval
        locked.heartbeat_due_at = (locked.last_seen_at or now) + timedelta(seconds=interval)
    locked.full_clean()
    locked.save()
    _tokens_forget_now_and_on_commit()  # processes remember the integration, its limit too
    return locked


@transaction.atomic
def integration_delete(*, integration: Integration) -> None:
    """Delete `integration`: its tokens stop working (in other processes within
    TOKEN_CACHE_SECONDS). Its alerts stay, with their incidents."""
    integration.delete()
    _tokens_forget_now_and_on_commit()


def _tokens_forget_now_and_on_commit() -> None:
    # Now, for this transaction's own requests; on commit, for a lookup made meanwhile.
    tokens_forget()
    transaction.on_commit(tokens_forget)


@transaction.atomic
def integration_rotate(
    *, integration: Integration, now: datetime, grace: timedelta = ROTATE_GRACE_DEFAULT
) -> str:
    """Give `integration` a new token; the current one keeps working until `now + grace`.

    Rotating again within the grace drops the oldest token: only two ever work at once.
    """
    if not timedelta(0) <= grace <= ROTATE_GRACE_MAX:
        raise ValidationError(
            {"grace_seconds": f"Give 0 to {int(ROTATE_GRACE_MAX.total_seconds())} seconds."}
        )
    locked = Integration.objects.select_for_update().get(pk=integration.pk)
    token, digest = _token_new()
    keep_old = grace > timedelta(0)
    locked.previous_token_digest = locked.token_digest if keep_old else None
    locked.previous_valid_until = now + grace if keep_old else None
    locked.token_digest = digest
    locked.token_hint = token[:HINT_LENGTH]
    with audit_action("rotate_token"):  # recorded by its hint and grace, never its token
        locked.save(
            update_fields=[
                "token_digest",
                "token_hint",
                "previous_token_digest",
                "previous_valid_until",
            ]
        )
    for field in ("token_digest", "token_hint", "previous_token_digest", "previous_valid_until"):
        setattr(integration, field, getattr(locked, field))
    tokens_forget()
    return token


def tokens_forget() -> None:
    """Forget every token this process recognised (after a rotation; between tests)."""
    _recognised.clear()


def tokens_forgotten_everywhere() -> None:
    """Wait until every other process has forgotten the tokens it recognised before now.

    Call after a commit that revoked a token: from then on no process takes it.
    """
    # The margin covers a lookup that began before the commit and was remembered just after.
    clock.sleep(TOKEN_CACHE_SECONDS + 0.5)


def _valid(integration: Integration, digest: str, now: datetime) -> bool:
    if integration.token_digest == digest:
        return True
    until = integration.previous_valid_until
    return integration.previous_token_digest == digest and until is not None and until > now


def integration_authenticate(*, token: str, now: datetime) -> Integration | None:
    """Return the integration whose current (or still-valid previous) token is `token`."""
    if not isinstance(token, str) or not token:
        return None
    # Looking up a SHA-256 of the token, never the token: timing reveals nothing usable.
    digest = token_digest(token)
    remembered = _recognised.get(digest)
    if remembered is not None and remembered[0] > time.monotonic():
        integration = remembered[1]
        if _valid(integration, digest, now):
            return integration
    integration = (
        Integration.objects.select_related("service")
        .filter(
            Q(token_digest=digest) | Q(previous_token_digest=digest, previous_valid_until__gt=now)
        )
        .first()
    )
    if integration is None:
        _recognised.pop(digest, None)
    else:
        _recognised[digest] = (time.monotonic() + TOKEN_CACHE_SECONDS, integration)
    return integration


def integration_url(integration: Integration, token: str) -> str:
    """Return the full URL monitoring should send to (PagerDuty's: the token is the routing key)."""
    if integration.kind == Integration.Kind.PAGERDUTY:
        path = reverse("incidents:ingest-pagerduty")
    else:
        path = reverse(f"incidents:ingest-{integration.kind}", kwargs={"token": token})
    return settings.PUBLIC_URL.rstrip("/") + path


@transaction.atomic
def heartbeat_ping(*, integration: Integration, now: datetime) -> datetime | None:
    """Record a heartbeat: move its deadline on, resolve its incident if it had opened one.

    Return the new deadline (None for a heartbeat with no interval, which never fires).
    """
    # Locked, so the sweep that opens "heartbeat missed" incidents sees this ping or waits for it.
    locked = Integration.objects.select_for_update().get(pk=integration.pk)
    interval = locked.heartbeat_interval_seconds
    locked.last_seen_at = now
    locked.heartbeat_due_at = now + timedelta(seconds=interval) if interval else None
    locked.save(update_fields=["last_seen_at", "heartbeat_due_at"])
    integration.last_seen_at = locked.last_seen_at
    integration.heartbeat_due_at = locked.heartbeat_due_at

    dedup_key = heartbeat_key(integration)
    missed = Incident.objects.filter(
        service_id=integration.service_id, dedup_key=dedup_key, status__in=Incident.OPEN
    ).exists()
    if missed:
        event = AlertEvent(
            action="resolve",
            dedup_key=dedup_key,
            title=f"Heartbeat {integration.name or integration.pk} received again",
            severity="info",
            details={"last_seen_at": now.isoformat()},
        )
        alerts_ingest(integration=integration, events=[event], now=now)
    return locked.heartbeat_due_at


def integration_test_alert(*, integration: Integration, now: datetime) -> IngestResult:
    """Send a test alert through `integration` as its monitoring would: its kind's own body,
    read by the parser its endpoint uses, then alerts_ingest. It opens an incident titled
    samples.TEST_TITLE, of info severity (low urgency unless the service always pages high)."""
    if integration.kind == Integration.Kind.HEARTBEAT:
        raise ValidationError({"kind": "A heartbeat takes pings, not alerts: ping its URL."})
    if integration.service.archived_at is not None:
        raise ValidationError({"service": f"{integration.service.name} is archived."})
    key = f"plantao-test-{uuid.uuid4().hex[:12]}"
    [result] = alerts_ingest(
        integration=integration, events=samples.test_events(integration.kind, key), now=now
    )
    return result
