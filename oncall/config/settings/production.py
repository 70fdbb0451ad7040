"""Production: DEBUG off unless set, SECRET_KEY required (base.py refuses to start without it)."""

import os

os.environ.setdefault("DEBUG", "off")

from .base import *  # noqa: E402, F403
from .base import env  # noqa: E402

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)
CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)
