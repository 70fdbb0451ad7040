"""The Celery app: a few lines; the periodic schedule lives in oncall/config/beat.py."""

import os

from celery import Celery
from celery.signals import setup_logging, task_postrun

from oncall.config import broker

broker.register()  # the embedded default's broker: each message written whole
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oncall.config.settings.local")

app = Celery("plantao")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def logging_configure(loglevel=None, **kwargs):
    """Log the worker and the scheduler through Django's LOGGING, redaction included.

    Left to itself Celery replaces the root logger's handlers with its own, which carry no
    filter: pages logged by the console channel, with their e-mail links, would reach the log.
    """
    from logging import getLogger
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
    if loglevel:
        getLogger().setLevel(loglevel)
    if app.conf.worker_redirect_stdouts:
        # What is printed (Django's console e-mail backend writes whole messages to stdout)
        # goes through the same redacting handler; Celery does this itself only when it
        # sets up logging.
        app.log.redirect_stdouts(app.conf.worker_redirect_stdouts_level)


@task_postrun.connect
def connections_tidy(sender=None, **kwargs):
    """After a task, close a database connection that is broken or past CONN_MAX_AGE, as Django
    does after a request (CELERY_DB_REUSE_MAX keeps Celery from closing every one). A task run
    eagerly, inside a caller's transaction, leaves the caller's connection alone."""
    if getattr(sender.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()
