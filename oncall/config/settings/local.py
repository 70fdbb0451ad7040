"""The default: development and the embedded single-machine setup (DEBUG on unless set)."""

from .base import *  # noqa: F403
