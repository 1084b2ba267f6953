"""Muster settings, all read from the environment (django-environ).

Two modes: development (the default, for `make demo` and tests) and production
(`MUSTER_ENV=production`), in which a missing SECRET_KEY or ALLOWED_HOSTS is an
error and every transport-security setting is on, so that
`manage.py check --deploy --fail-level WARNING` passes.
"""

import sys
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from skills_app.notify.events import Event as NotifyEvent
from skills_app.notify.events import template_setting_name

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

MUSTER_ENV = env.str("MUSTER_ENV", default="development")
if MUSTER_ENV not in {"development", "production"}:
    raise ImproperlyConfigured("MUSTER_ENV must be 'development' or 'production'")
PRODUCTION = MUSTER_ENV == "production"

DEBUG = env.bool("DEBUG", default=not PRODUCTION)

if PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY", default="")
    if not SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY must be set when MUSTER_ENV=production")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when MUSTER_ENV=production")
else:
    # Development only: a fixed, obviously-unsafe key so sessions survive restarts.
    SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-muster-development-only-key")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
if "*" in ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS may not contain a wildcard")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "django_tasks_db",
    "ninja",
    "skills_app.accounts",
    "skills_app.audit",
    "taxonomy",
    "skills_app.people",
    "skills_app.roles",
    "skills_app.surge",
    "skills_app.reports",
    "skills_app.imports",
    "skills_app.moves",
    "skills_app.notify",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "skills_app.middleware.NoStoreForPersonalDataMiddleware",
    # After the headers middleware above, so its 400 page still carries them.
    "skills_app.middleware.RefuseControlCharactersMiddleware",
    # Axes must come last so that it sees the final authentication outcome.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "skills_app.urls"
WSGI_APPLICATION = "skills_app.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "skills_app.context_processors.service",
            ],
            "libraries": {"paging": "skills_app.core.paging"},
            # govuk_date, govuk_time, govuk_datetime: dates and times in GOV.UK style.
            "builtins": ["skills_app.core.presenters"],
        },
    },
]

# --- Database -----------------------------------------------------------------
# An empty DATABASE_URL means "not set": the embedded SQLite default.
#
# Least privilege on PostgreSQL: the web app and worker connect with DATABASE_URL,
# an app role that may only read and append audit rows (``manage.py grant_app_role``).
# Commands that change the schema or drop audit partitions connect instead with
# MIGRATION_DATABASE_URL, the role that owns the tables, when it is set.
OWNER_COMMANDS = frozenset(
    {"migrate", "grant_app_role", "apply_retention", "createcachetable", "flush", "seed_demo"}
)
_command = sys.argv[1] if len(sys.argv) > 1 and Path(sys.argv[0]).name == "manage.py" else ""
_database_url = env.str("DATABASE_URL", default="")
if _command in OWNER_COMMANDS and env.str("MIGRATION_DATABASE_URL", default=""):
    _database_url = env.str("MIGRATION_DATABASE_URL")
DATABASES = {
    "default": environ.Env.db_url_config(
        _database_url or f"sqlite:///{BASE_DIR / 'var' / 'muster.sqlite3'}"
    )
}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3":
    (BASE_DIR / "var").mkdir(exist_ok=True)
    # WAL plus IMMEDIATE transactions let the web process and the task worker
    # share one file without "database is locked" errors.
    _db["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
elif _db["ENGINE"].startswith("django.db.backends.postgresql"):
    _db["ENGINE"] = "django.db.backends.postgresql"
    _db["CONN_MAX_AGE"] = 0  # the pool owns connection lifetime
    _db.setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DB_POOL_MIN", default=1),
        "max_size": env.int("DB_POOL_MAX", default=10),
        "timeout": env.int("DB_POOL_TIMEOUT", default=10),
    }
    _db["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", default=f"test_{_db['NAME']}")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Retention (``manage.py apply_retention``; README "Retention") -------------
# Leavers are anonymised this many days after their leaving date (about two years).
RETENTION_LEAVERS_DAYS = env.int("RETENTION_LEAVERS_DAYS", default=730)
# Audit rows are kept this long; on PostgreSQL whole months are dropped once every
# row in them is older than this, so a row may outlive it by up to a month.
RETENTION_AUDIT_DAYS = env.int("RETENTION_AUDIT_DAYS", default=730)
# Monthly audit partitions are created this many months ahead (PostgreSQL).
AUDIT_PARTITION_MONTHS_AHEAD = env.int("AUDIT_PARTITION_MONTHS_AHEAD", default=3)
if min(RETENTION_LEAVERS_DAYS, RETENTION_AUDIT_DAYS) < 1 or AUDIT_PARTITION_MONTHS_AHEAD < 1:
    raise ImproperlyConfigured("Retention periods and months ahead must be at least 1")

# --- Cache: the per-user throttles (skills_app/core/throttle.py) ----------------
# Throttle counts must be shared by every gunicorn worker and host, so they live in
# the database (the table is created by accounts' migration 0003). The default cache
# stays per process: it only holds recomputable values.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "throttle": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "muster_cache",
        # One row per user and scope; culling would forget who is over their limit.
        "OPTIONS": {"MAX_ENTRIES": 200_000},
    },
}
# Requests per user per period ("N/s|min|hour|day"), per scope, on the pages and the
# API alike. Generous: a person working fast never meets them; a script does.
THROTTLE_RATES = {
    # role search pages, their explanations, "Find a person", POST /api/v1/match
    "search": env.str("THROTTLE_SEARCH_RATE", default="120/min"),
    # every CSV/XLSX/JSON download of many people or the whole organisation
    "export": env.str("THROTTLE_EXPORT_RATE", default="20/min"),
}

# --- Background tasks (Django's tasks framework, database-backed worker) ------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# `manage.py run_worker` runs these management commands every so many seconds beside
# the worker loop.
# The shared workforce-index snapshot (skills_app/index/snapshot.py): written by the
# task worker, memory-mapped by every process. Empty: each process builds its own.
MUSTER_INDEX_DIR = env.str("MUSTER_INDEX_DIR", default="")
# Word vectors for job-title matching (matching.vectors), written by `make install`
# (scripts/word_vectors.py). Absent: titles are matched on their words alone.
MUSTER_WORD_VECTORS = env.str(
    "MUSTER_WORD_VECTORS", default=str(BASE_DIR / "var" / "word_vectors.npz")
)
# A serving process that meets a bulk change waits this long (serving the index it
# has) for the worker's new snapshot before building one itself.
MUSTER_INDEX_SNAPSHOT_WAIT = env.float("MUSTER_INDEX_SNAPSHOT_WAIT", default=60.0)

WORKER_HOUSEKEEPING = [
    ("write_index_snapshot", 5),
    ("reap_import_jobs", 60),
    ("reap_draft_runs", 60),
    # Daily. As the app role it anonymises leavers and deletes expired uploads; the
    # audit partitions need the owner, so production also runs it from cron with
    # MIGRATION_DATABASE_URL (README "Retention").
    ("apply_retention", 24 * 3600),
    # Queued notifications and failed ones whose backoff has passed (notify.services).
    ("send_notifications", 30),
    # Moves' start and end reminders (each queued once; moves.services).
    ("send_move_reminders", 3600),
]
# An import's worker touches the job this often; a running job silent for
# IMPORT_JOB_STALE_SECONDS is reaped as failed (its worker died).
IMPORT_HEARTBEAT_SECONDS = env.int("IMPORT_HEARTBEAT_SECONDS", default=15)
IMPORT_JOB_STALE_SECONDS = env.int("IMPORT_JOB_STALE_SECONDS", default=300)
# "Draft everyone" (DESIGN 9) drafts this many people per transaction, beating each
# time; a running run silent for DRAFT_RUN_STALE_SECONDS is reaped as failed.
DRAFT_RUN_BATCH = env.int("DRAFT_RUN_BATCH", default=5000)
DRAFT_RUN_STALE_SECONDS = env.int("DRAFT_RUN_STALE_SECONDS", default=300)
# Stored uploads older than this are deleted whatever their job's state.
IMPORT_UPLOAD_RETENTION_DAYS = env.int("IMPORT_UPLOAD_RETENTION_DAYS", default=7)

# --- Notifications (GOV.UK Notify; README "Notifications (GOV.UK Notify)") ------
# Without a key, messages are recorded (marked sent, listed in the admin), never sent:
# development, tests and the demo need no key. With one, they go to GOV.UK Notify.
NOTIFY_API_KEY = env.str("NOTIFY_API_KEY", default="")
NOTIFY_BACKEND = env.str(
    "NOTIFY_BACKEND",
    default=(
        "skills_app.notify.backends.GovNotifyBackend"
        if NOTIFY_API_KEY
        else "skills_app.notify.backends.RecordingBackend"
    ),
)
# One Notify template id per event (skills_app/notify/events.py), each from its own
# variable: NOTIFY_TEMPLATE_RELEASE_REQUESTED, NOTIFY_TEMPLATE_RELEASE_REFUSED, ...
NOTIFY_TEMPLATES = {
    event.value: env.str(template_setting_name(event), default="") for event in NotifyEvent
}
# The address links in messages start with (no trailing path).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
# Sent and given-up notifications forget their address and name after this long.
NOTIFY_RETENTION_DAYS = env.int("NOTIFY_RETENTION_DAYS", default=30)
if NOTIFY_RETENTION_DAYS < 1:
    raise ImproperlyConfigured("NOTIFY_RETENTION_DAYS must be at least 1")

# --- Authentication -----------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Failures allowed per username from one address before a cool-off.
AXES_USERNAME_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
# Distinct usernames that may fail from one address within the cool-off before the
# whole address is locked out (password spraying). Higher, so that an office behind
# one NAT address is not locked because a few people mistyped.
AXES_ADDRESS_USERNAME_LIMIT = env.int("AXES_ADDRESS_USERNAME_LIMIT", default=30)
# axes compares one failure count with one limit; the callable gives the limit for
# this username and address, 0 once the address is spraying (skills_app.accounts.lockout).
AXES_FAILURE_LIMIT = "skills_app.accounts.lockout.failure_limit"
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
# Lock a username only from the address it is being attacked from, so an attacker
# cannot lock a real user out from their own desk, and a shared office NAT address
# is not locked for everyone (until it sprays, above). A success resets only that
# username at that address, so signing in with one's own account does not wipe an
# address's record of failures at other usernames.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
# The username is the only thing axes may log; it never logs passwords.
AXES_VERBOSE = False

SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie

# --- Security headers ---------------------------------------------------------
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    if env.bool("BEHIND_TLS_PROXY", default=True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- Internationalisation -------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# --- Static files (whitenoise) --------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "var" / "static")
STATICFILES_DIRS = [BASE_DIR / "static"]
if not PRODUCTION:
    # Serve straight from the source folders so `make demo` needs no collectstatic.
    WHITENOISE_USE_FINDERS = True
    WHITENOISE_AUTOREFRESH = DEBUG
    Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "skills_app.storage.StaticStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}


# --- Logging: never personal data, only event names and opaque ids ------------
def _not_a_health_probe(record) -> bool:
    """False for runserver's line about an answered ``/healthz`` probe: `make serve`
    polls it to know when to print the logins, and a probe is no one's request.
    A failing probe (4xx/5xx) is still logged."""
    return not (" /healthz " in record.getMessage() and getattr(record, "status_code", 500) < 400)


# Django logs the path of 4xx and 5xx answers, and API paths carry staff numbers:
# MaskPersonalData (skills_app/logmasking.py) masks them, and query strings, on the
# console handler and on the loggers that log request paths.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "mask_personal_data": {"()": "skills_app.logmasking.MaskPersonalData"},
        "not_a_health_probe": {
            "()": "django.utils.log.CallbackFilter",
            "callback": _not_a_health_probe,
        },
    },
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["mask_personal_data"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's default config gives the "django" logger a console handler of its own
        # (without the masking filter); with propagation to the root's handler every
        # django.* line ("Watching for file changes", "Unauthorized: ...") was written
        # twice. Listing it here replaces those handlers: its records go to the root's
        # masked console handler only, once.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        # Request noise at WARNING in production.
        "django.request": {
            "level": "WARNING" if PRODUCTION else "INFO",
            "filters": ["mask_personal_data"],
        },
        # runserver's request lines ("GET /api/v1/people/P0000001 HTTP/1.1").
        "django.server": {
            "handlers": ["console"],
            "level": "INFO",
            "propagate": False,
            "filters": ["not_a_health_probe", "mask_personal_data"],
        },
        "axes": {"level": "WARNING"},
    },
}

NINJA_PAGINATION_MAX_LIMIT = 500
SERVICE_NAME = "Muster"
MUSTER_PHASE = env.str("MUSTER_PHASE", default="Beta")
