"""Who is acting, for the audit log: a context variable that a request, a task or a command sets.

Nothing set means a shell (a `manage.py shell` session, a script calling the services): source
`shell`, actor nobody. A web request sets itself (AuditMiddleware); its actor and token are read
from it when an entry is written, after DRF or the session has authenticated it.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace

from celery.signals import task_postrun, task_prerun

from oncall.models import ApiToken
from oncall.models.audit import AuditEntry

Source = AuditEntry.Source

# The first matching prefix of the request's path names its source; anything else is the web.
PATH_SOURCES = (
    ("/api/", Source.API),
    ("/admin/", Source.ADMIN),
    ("/slack/", Source.SLACK),
    ("/twilio/voice/", Source.VOICE),
    ("/twilio/", Source.SMS),
    ("/email/", Source.EMAIL),
    ("/integrations/alertmanager/", Source.MONITORING),
    ("/integrations/grafana/", Source.MONITORING),
    ("/integrations/webhook/", Source.MONITORING),
    ("/integrations/heartbeat/", Source.MONITORING),
    ("/v2/enqueue", Source.MONITORING),
)


@dataclass(frozen=True)
class Actor:
    """Who acted, as the log names them."""

    username: str = ""
    user_id: int | None = None
    name: str = ""
    token_name: str = ""
    origin: str = ""


NOBODY = Actor()


def actor_of(user, token_name: str = "") -> Actor:
    """Return `user` (or nobody, for None or an anonymous user) as the log names them."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Actor(token_name=token_name)
    person = getattr(user, "person", None)  # one query the first time; cached on the user
    name = person.display_name if person is not None else (user.get_full_name() or "")
    return Actor(user.get_username(), user.pk, name or user.get_username(), token_name)


class Acting:
    """An explicit actor and source (a command, a task, a test)."""

    def __init__(
        self, *, actor=None, token_name: str = "", source: str = Source.SHELL, origin: str = ""
    ):
        self.source = source
        self._user = actor
        self._token_name = token_name
        self._origin = origin
        self._actor: Actor | None = None

    def actor(self) -> Actor:
        if self._actor is None:
            self._actor = replace(actor_of(self._user, self._token_name), origin=self._origin)
        return self._actor


class RequestActing:
    """A request: its source from its path, its actor whoever it is authenticated as when an
    entry is written (DRF sets `user` and `auth` on the Django request as well)."""

    def __init__(self, request):
        self.request = request
        self.source = next(
            (source for prefix, source in PATH_SOURCES if request.path_info.startswith(prefix)),
            Source.WEB,
        )
        self._seen: tuple | None = None
        self._actor = NOBODY

    def actor(self) -> Actor:
        user = getattr(self.request, "user", None)
        token = getattr(self.request, "auth", None)
        if self._seen != (id(user), id(token)):
            name = token.name if isinstance(token, ApiToken) else ""
            self._actor = actor_of(user, name)
            self._seen = (id(user), id(token))
        return self._actor


SHELL = Acting()
_acting: contextvars.ContextVar[Acting | RequestActing] = contextvars.ContextVar(
    "plantao_audit_acting", default=SHELL
)
_verb: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "plantao_audit_verb", default=None
)


def acting() -> Acting | RequestActing:
    """Return who is acting now."""
    return _acting.get()


def verb() -> str | None:
    """Return the action that audit_action() names, if any."""
    return _verb.get()


@contextmanager
def audit_context(
    *, actor=None, token_name: str = "", source: str = Source.SHELL, origin: str = ""
) -> Iterator:
    """Record what is done inside as done by `actor` (a user, or None) through `source`, coming
    in `origin` (a configuration file's name) if given."""
    reset = _acting.set(Acting(actor=actor, token_name=token_name, source=source, origin=origin))
    try:
        yield
    finally:
        _acting.reset(reset)


@contextmanager
def audit_action(action: str) -> Iterator:
    """Record every save and delete inside as `action` ("rotate_token", "verify") rather than
    create, update or delete."""
    reset = _verb.set(action)
    try:
        yield
    finally:
        _verb.reset(reset)


@contextmanager
def request_acting(request) -> Iterator:
    """Record what is done inside as done by `request` (its path names the source)."""
    reset = _acting.set(RequestActing(request))
    try:
        yield
    finally:
        _acting.reset(reset)


class AuditMiddleware:
    """Make each request the audit context of what it changes.

    Synchronous only, and innermost (after WhiteNoise): under ASGI it shares the view's one
    thread hop instead of adding one.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with request_acting(request):
            return self.get_response(request)


# Celery tasks act as Plantão itself (source engine), and only while they run: a task run
# eagerly inside a request hands the context back to the request afterwards.
_task_resets: dict[str, contextvars.Token] = {}


@task_prerun.connect(dispatch_uid="plantao-audit-task-start")
def _task_started(task_id=None, **kwargs) -> None:
    _task_resets[task_id] = _acting.set(Acting(source=Source.ENGINE))


@task_postrun.connect(dispatch_uid="plantao-audit-task-end")
def _task_ended(task_id=None, **kwargs) -> None:
    reset = _task_resets.pop(task_id, None)
    if reset is not None:
        # Set in another context (a thread pool's): there is nothing here to restore.
        with suppress(ValueError):
            _acting.reset(reset)
