"""Failed sign-ins: django-axes locks a username at one address out, for longer each time.

Five wrong passwords for one username from one address lock that pair out for five minutes;
each further lockout of the same pair within a day doubles it, up to four hours. The same
person at another address, and everyone else, can still sign in.
"""

from __future__ import annotations

import math
from datetime import timedelta

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt, AccessFailureLog
from django.db.models import Q
from django.shortcuts import render
from django.utils import timezone

FIRST_LOCKOUT = timedelta(minutes=5)
LONGEST_LOCKOUT = timedelta(hours=4)
MEMORY = timedelta(days=1)  # lockouts longer ago than this no longer lengthen the next


def lockout_length(previous_lockouts: int) -> timedelta:
    """Return how long the lockout that follows `previous_lockouts` others (>= 0) lasts."""
    doublings = min(previous_lockouts, 16)  # past the cap long before; keeps the power small
    return min(FIRST_LOCKOUT * 2**doublings, LONGEST_LOCKOUT)


def cool_off(request) -> timedelta:
    """Return the lockout length for the username and address of `request` (AXES_COOLOFF_TIME).

    Counted from the failures that locked this pair out within MEMORY, the current lockout
    included (axes records one such failure per lockout).
    """
    at = getattr(request, "axes_attempt_time", None)
    address = getattr(request, "axes_ip_address", None)
    if request is None or at is None or address is None:
        return FIRST_LOCKOUT
    username = get_client_username(request)
    lockouts = AccessFailureLog.objects.filter(
        username=username, ip_address=address, locked_out=True, attempt_time__gte=at - MEMORY
    ).count()
    return lockout_length(max(lockouts - 1, 0))


def lockout_response(request, original_response=None, credentials=None):
    """Render the lockout page (429, with Retry-After) for /login/ and the admin login alike."""
    length = cool_off(request)
    minutes = math.ceil(length.total_seconds() / 60)
    response = render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(int(length.total_seconds()))
    return response


class LockoutHandler(AxesDatabaseHandler):
    """Axes' database handler, forgetting failures pair by pair (AXES_HANDLER).

    Axes forgets every pair's failures older than the lockout time of whoever signs in or out
    at the moment; with lockouts of different lengths that would end a long one early.
    """

    def clean_expired_user_attempts(self, request=None, credentials=None) -> int:
        """Forget this pair's failures once its lockout time has passed, anyone's once the
        longest lockout has."""
        now = getattr(request, "axes_attempt_time", None) or timezone.now()
        stale = Q(attempt_time__lte=now - LONGEST_LOCKOUT)
        username = get_client_username(request, credentials) if request is not None else None
        address = getattr(request, "axes_ip_address", None)
        if username and address:
            stale |= Q(
                username=username, ip_address=address, attempt_time__lte=now - cool_off(request)
            )
        count, _ = AccessAttempt.objects.filter(stale).delete()
        return count


class LockoutBackend(AxesStandaloneBackend):
    """Axes' check on every sign-in made with a request, the web's and the admin's.

    A sign-in without a request (a management command, a test's `authenticate`) comes from code
    on the machine, not from a client that could guess: it is not counted.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
