"""Settings shared by every environment: everything comes from the environment (CONTRACT.md)."""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from oncall.config.secret import development_secret_key

env = environ.Env()

BASE_DIR = Path(__file__).resolve().parents[3]
# What the embedded default keeps on disk: its key, SQLite file, broker folders, beat schedule.
VAR_DIR = Path(env.str("PLANTAO_VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=True)

SECRET_KEY = env.str("SECRET_KEY", default="")
# True when the key is the embedded default's own (made under var/), not one from the environment.
SECRET_KEY_IS_DEVELOPMENT = not SECRET_KEY
if SECRET_KEY_IS_DEVELOPMENT:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = development_secret_key(VAR_DIR / "secret_key")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

PUBLIC_URL = env.str("PUBLIC_URL", default="http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[PUBLIC_URL])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "oncall",
    "incidents",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # After every middleware that can answer a sign-in: it turns a locked-out one into the
    # lockout page.
    "axes.middleware.AxesMiddleware",
    # Innermost: WhiteNoise is the one middleware that runs only synchronously, and under ASGI
    # each border between sync and async code is a hop to another thread. Here it shares the
    # view's one hop instead of making two of its own (/healthz: about 2 ms -> see bench).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Also sync only, so also innermost: the request becomes the audit log's context (who acts,
    # through which door) for whatever the view changes.
    "oncall.audit.AuditMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "oncall.lockout.LockoutBackend",  # refuses a locked-out username + address first
    "django.contrib.auth.backends.ModelBackend",
]
# Failed sign-ins (oncall/lockout.py): five for one username from one address lock that pair
# out, five minutes the first time, doubling each further time, at most four hours.
AXES_FAILURE_LIMIT = 5
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = "oncall.lockout.cool_off"
AXES_HANDLER = "oncall.lockout.LockoutHandler"
AXES_LOCKOUT_CALLABLE = "oncall.lockout.lockout_response"
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # one row per lockout: how the next one grows
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # a lockout ends when it said it would
AXES_RESET_ON_SUCCESS = True

ROOT_URLCONF = "oncall.config.urls"
WSGI_APPLICATION = "oncall.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _database_url() -> str:
    url = env.str("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'plantao.sqlite3'}")
    # A relative SQLite path is relative to the project, not to wherever the process started.
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/"):
        url = prefix + str(BASE_DIR / url[len(prefix) :])
    return url


DATABASES = {"default": env.db_url_config(_database_url())}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if DATABASES["default"]["NAME"] not in ("", ":memory:"):
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL and a busy timeout let the web, worker and scheduler processes share one file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif env.bool("PLANTAO_DB_POOL", default=False):
    # The web tier (ASGI) runs each request's view in a thread of its own, and a connection kept
    # per thread would outlive its thread: connections piled up until PostgreSQL refused more.
    # There a pool per process lends each request a connection and takes it back at its end.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": env.int("PLANTAO_DB_POOL_SIZE", default=10),
        "timeout": 10,  # seconds a request waits for a free connection before failing
    }
else:
    # Workers and the scheduler run their tasks on one thread each: keep its connection.
    DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "oncall.config.cache.ProcessRedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

DATA_UPLOAD_MAX_MEMORY_SIZE = 512 * 1024

# The REST API (/api/v1/): bearer tokens for scripts, the session (with CSRF) for the browser.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "oncall.api.auth.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "oncall.api.pagination.Cursor",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["oncall.api.throttles.PerTokenThrottle"],
    "DEFAULT_SCHEMA_CLASS": "oncall.api.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "oncall.api.errors.api_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# Requests allowed per API token (or per signed-in browser user), e.g. 1200/min or 20/s.
PLANTAO_API_RATE = env.str("PLANTAO_API_RATE", default="1200/min")
SPECTACULAR_SETTINGS = {
    "TITLE": "Plantão API",
    "DESCRIPTION": "Incidents, who is on call, and the configuration behind them. Authenticate "
    "with `Authorization: Bearer <token>` (`manage.py apitoken create USERNAME`). Errors are "
    '`{"error": {"code", "message", "fields"}}`. Lists are cursor-paginated: follow `next`.',
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        # Several models have a "kind" or a "state": name each enum after its model.
        "IntegrationKindEnum": "incidents.models.integrations.Integration.Kind",
        "EscalationTargetKindEnum": "incidents.models.policies.EscalationTarget.Kind",
        "TimelineEntryKindEnum": "incidents.models.incidents.TimelineEntry.Kind",
        "ContactMethodKindEnum": "oncall.models.people.ContactMethod.Kind",
        "RestrictionKindEnum": "oncall.models.schedules.LayerRestriction.Kind",
        "IncidentStatusEnum": "incidents.models.incidents.Incident.Status",
        "PageStateEnum": "incidents.models.pages.Page.State",
        "AlertActionEnum": "incidents.models.incidents.Alert.Action",
        "UrgencyEnum": "incidents.models.choices.Urgency",
        "NotificationRuleUrgencyEnum": "oncall.models.people.NotificationRule.Urgency",
        "SeverityEnum": "incidents.models.choices.Severity",
        "SourceEnum": "incidents.models.choices.Source",
        "RoleEnum": "oncall.models.people.Membership.Role",
        "PostmortemStatusEnum": "incidents.models.postmortems.Postmortem.Status",
        "ActionItemStatusEnum": "incidents.models.postmortems.ActionItem.Status",
    },
    "SCHEMA_PATH_PREFIX": r"/api/v1",
}

# Paging providers; unset, the console channel logs pages instead (CONTRACT.md).
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
# During a rotation of the auth token, requests signed with the previous one are accepted too.
TWILIO_AUTH_TOKEN_PREVIOUS = env.str("TWILIO_AUTH_TOKEN_PREVIOUS", default="")
TWILIO_FROM_NUMBER = env.str("TWILIO_FROM_NUMBER", default="")
TWILIO_API_BASE = env.str("TWILIO_API_BASE", default="")
# Twilio's throughput: SMS segments a second from the sending number (1 for a long code, 3 for
# toll-free, up to 100 for a short code) and calls a second for the account; 0 leaves it to
# Twilio. Sends beyond it wait their turn (oncall/pacing.py), none is dropped.
TWILIO_SMS_SEGMENTS_PER_SECOND = env.float("TWILIO_SMS_SEGMENTS_PER_SECOND", default=1.0)
TWILIO_CALLS_PER_SECOND = env.float("TWILIO_CALLS_PER_SECOND", default=1.0)
SLACK_BOT_TOKEN = env.str("SLACK_BOT_TOKEN", default="")
SLACK_SIGNING_SECRET = env.str("SLACK_SIGNING_SECRET", default="")
SLACK_API_BASE = env.str("SLACK_API_BASE", default="")

# E-mail: EMAIL_URL=smtp://user:password@host:587/?tls=True; unset prints e-mails to the console.
_email_url = env.str("EMAIL_URL", default="")
EMAIL_CONFIGURED = bool(_email_url)  # e-mail pages go out by SMTP; else to the console channel
if _email_url:
    globals().update(env.email_url_config(_email_url))
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Plantao <plantao@localhost>")

# Celery: the broker is a doorbell, the database the record of what must still happen.
# With no CELERY_BROKER_URL, kombu's filesystem transport under var/ needs no server.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
BROKER_DIR = VAR_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    for _folder in ("queue", "processed", "control"):
        (BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
        "polling_interval": 0.2,  # seconds; the filesystem transport polls its folder
    }
else:
    # How long Redis keeps an unacknowledged message before handing it to another worker. The
    # engine never asks for a countdown longer than a minute, so this can stay short.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
    }
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes the database connection before and after every task unless told
# to reuse it: each task then paid for a new PostgreSQL backend (a fork, and its catalog caches
# filled again), 4-5 a second under load, on the path to the first page. Reuse it across tasks;
# oncall/config/celery.py closes it after a task the way Django does after a request, when it
# is broken or older than CONN_MAX_AGE.
CELERY_DB_REUSE_MAX = 1_000
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = env.str(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(VAR_DIR / "celerybeat-schedule")
)
# The engine's clocks (incidents/services/engine.py): a claimed page not finished within the
# lease is reconciled; a doorbell this overdue is taken as lost and rung again by the sweep.
PLANTAO_ENGINE_LEASE_SECONDS = env.int("PLANTAO_ENGINE_LEASE_SECONDS", default=60)
PLANTAO_ENGINE_STUCK_SECONDS = env.int("PLANTAO_ENGINE_STUCK_SECONDS", default=30)
# Each process writes its /metrics counters (incidents/tallies.py) at most this often.
PLANTAO_TALLY_FLUSH_SECONDS = env.float("PLANTAO_TALLY_FLUSH_SECONDS", default=1.0)
# The web tier's ingest lane (incidents/views/ingest_lane.py): the ingest URLs answered before
# Django's middleware, the writes of concurrent requests committed together. A group waits at
# most PLANTAO_INGEST_GROUP_MS after its first request for others, and holds at most
# PLANTAO_INGEST_GROUP_MAX (1: a transaction per request) and, but for its first, at most
# PLANTAO_INGEST_GROUP_BYTES of bodies (a 100-alert batch is a group of its own);
# PLANTAO_INGEST_WRITERS threads of a process each write a group at a time (SQLite takes one
# writer). Off: Django's handler takes them.
PLANTAO_INGEST_LANE = env.bool("PLANTAO_INGEST_LANE", default=True)
# ASGI applications wrapped around Django's, innermost first (by name, as MIDDLEWARE is).
PLANTAO_ASGI_FRONT = ["incidents.views.ingest_lane.ingest_lane"] if PLANTAO_INGEST_LANE else []
PLANTAO_INGEST_GROUP_MS = env.float("PLANTAO_INGEST_GROUP_MS", default=2.0)
PLANTAO_INGEST_GROUP_MAX = env.int("PLANTAO_INGEST_GROUP_MAX", default=50)
PLANTAO_INGEST_GROUP_BYTES = env.int("PLANTAO_INGEST_GROUP_BYTES", default=64 * 1024)
PLANTAO_INGEST_WRITERS = env.int(
    "PLANTAO_INGEST_WRITERS",
    default=1 if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" else 2,
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"redact_secrets": {"()": "oncall.redaction.RedactSecrets"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_secrets"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # The twilio library logs every request at INFO: phone numbers and bodies, not for logs.
        "twilio.http_client": {"level": "WARNING"},
        # Filters on the loggers too, so records are clean for every handler, not just ours.
        "django.request": {"filters": ["redact_secrets"]},
        "django.server": {"filters": ["redact_secrets"]},
        "django.security": {"filters": ["redact_secrets"]},
    },
}

from oncall.config.beat import SCHEDULE as CELERY_BEAT_SCHEDULE  # noqa: E402, F401

PLANTAO_CHANNEL = env.str("PLANTAO_CHANNEL", default="auto")
# Noise control: at most one text to a number this often; what falls due meanwhile is bundled.
PLANTAO_SMS_SPACING_SECONDS = env.int("PLANTAO_SMS_SPACING_SECONDS", default=60)
PLANTAO_RECORDING_PATH = env.str(
    "PLANTAO_RECORDING_PATH", default=str(VAR_DIR / "recorded-pages.jsonl")
)

# An index's INCLUDE columns (the insights' covering index on incidents) are a PostgreSQL
# feature; SQLite builds the same index without them, which is all it needs.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
