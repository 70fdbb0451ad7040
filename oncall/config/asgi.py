"""The web tier's application (`python -m oncall.config.web` serves it): Django behind the gates
that read bodies in the event loop and keep a development key off public addresses; between them
and Django, the applications PLANTAO_ASGI_FRONT names (the ingest lane, which answers the ingest
URLs in front of Django's middleware: incidents/views/ingest_lane.py)."""

import importlib
import os

from django.conf import settings
from django.core.asgi import get_asgi_application
from django.urls import get_resolver
from django.utils.module_loading import import_string

from oncall.config.gates import body_bounded, development_key_loopback_only

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oncall.config.settings.local")

django_application = get_asgi_application()
for front in settings.PLANTAO_ASGI_FRONT:
    django_application = import_string(front)(django_application)
application = development_key_loopback_only(body_bounded(django_application))


def first_use_imports() -> None:
    """Import now, as a worker process starts and before it takes a connection, what Django
    imports on first use: every view (the URLconf), the database pool and the cache's Redis
    client. Left to Django, the first alerts after a restart waited for them: 0.4-1.4 s on the
    2-core bench machine. Nothing connects here."""
    get_resolver().url_patterns  # noqa: B018 - read for the imports it makes
    if any(database.get("OPTIONS", {}).get("pool") for database in settings.DATABASES.values()):
        importlib.import_module("psycopg_pool")
    if any("Redis" in cache["BACKEND"] for cache in settings.CACHES.values()):
        importlib.import_module("redis")


first_use_imports()
