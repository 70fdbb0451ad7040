"""The web tier's application (`python -m oncall.config.web` serves it): Django behind the gates
that read bodies in the event loop and keep a development key off public addresses."""

import os

from django.core.asgi import get_asgi_application

from oncall.config.gates import body_bounded, development_key_loopback_only

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oncall.config.settings.local")

application = development_key_loopback_only(body_bounded(get_asgi_application()))
