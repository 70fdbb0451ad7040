"""The Celery app: a few lines; the periodic schedule lives in oncall/config/beat.py."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oncall.config.settings.local")

app = Celery("plantao")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
