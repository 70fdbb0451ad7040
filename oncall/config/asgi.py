"""The web tier's application (`python -m oncall.config.web` serves it): Django behind the gates
that read bodies in the event loop and keep a development key off public addresses; between them
and Django, the applications PLANTAO_ASGI_FRONT names (the ingest lane, which answers the ingest
URLs in front of Django's middleware: incidents/views/ingest_lane.py)."""

import os

from django.conf import settings
from django.core.asgi import get_asgi_application
from django.utils.module_loading import import_string

from oncall.config.gates import body_bounded, development_key_loopback_only

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oncall.config.settings.local")

django_application = get_asgi_application()
for front in settings.PLANTAO_ASGI_FRONT:
    django_application = import_string(front)(django_application)
application = development_key_loopback_only(body_bounded(django_application))
