"""Settings read from the environment (see README: STOCKLEDGER_HOME, DATABASE_URL, ...)."""

import os
from pathlib import Path
from typing import Any

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


# Everything this process creates (the SQLite database and its journals, export and import
# files, the generated secret key) is readable by its owner only: other local users of the
# machine must not read a merchant's stock history. The home folder itself is 0700.
os.umask(0o077)
STOCKLEDGER_HOME = Path(os.environ.get("STOCKLEDGER_HOME", "var")).resolve()
STOCKLEDGER_HOME.mkdir(mode=0o700, parents=True, exist_ok=True)
if STOCKLEDGER_HOME.stat().st_uid == os.getuid():
    STOCKLEDGER_HOME.chmod(0o700)

DEBUG = _env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    # A self-hoster who never set SECRET_KEY still gets a stable, private key: generated once
    # and kept beside the database.
    key_file = STOCKLEDGER_HOME / "secret_key"
    if not key_file.exists():
        import secrets

        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    SECRET_KEY = key_file.read_text().strip()

ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",  # serves the API docs' Swagger UI assets locally (no CDN)
    "django_tasks",
    "django_tasks_db",
    "axes",
    "stockledger.core",
    "stockledger.catalog",
    "stockledger.warehouses",
    "stockledger.ledger",
    "stockledger.channels",
    "stockledger.orders",
    "stockledger.purchasing",
    "stockledger.transfers",
    "stockledger.returns",
    "stockledger.manufacturing",
    "stockledger.exports",
    "stockledger.imports",
    "stockledger.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # /api/ only: 413 for large bodies, 429 per token, JSON for every error.
    "stockledger.core.middleware.ApiGuardMiddleware",
    # Static files: hashed names, gzip/Brotli, a year's immutable cache (core/static.py).
    "stockledger.core.static.StaticFilesMiddleware",
    # Pages and API answers gzipped (Django's BREACH mitigation pads each response).
    "django.middleware.gzip.GZipMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # django-csp, with the header built once (core/csp.py).
    "stockledger.core.csp.FixedPolicyCSPMiddleware",
    "stockledger.core.audit.AuditActorMiddleware",
    # STOCKLEDGER_PAGE_MIDDLEWARE, for every request outside /api/ (core/page_middleware.py).
    "stockledger.core.page_middleware.PageMiddleware",
    # /api/ POSTs with an Idempotency-Key: replay instead of running twice.
    "stockledger.core.idempotency.IdempotencyMiddleware",
    # With a replica: reads stay on the primary briefly after a browser's write.
    "stockledger.core.db_routing.ReadYourWritesMiddleware",
]
# What only the pages use: the API authenticates each request with its bearer token. The
# CSRF, admin and axes checks that look for these in MIDDLEWARE are asked of this list
# instead (core/page_middleware.py: check_page_middleware).
SILENCED_SYSTEM_CHECKS = ["security.W003", "admin.E408", "admin.E409", "admin.E410", "axes.W002"]
STOCKLEDGER_PAGE_MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # A NUL in a query or form value is a 400 (PostgreSQL cannot hold one).
    "stockledger.core.text_input.PageTextGuardMiddleware",
    # Django's AuthenticationMiddleware, with the user read with the session (core/sessions.py).
    "stockledger.core.sessions.SessionAuthenticationMiddleware",
    # The role check (core/permissions.py) and the company's time zone.
    "stockledger.core.page_access.PagePermissionMiddleware",
    "stockledger.core.page_access.CompanyTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Last: refuses sign-ins while a username or address is locked out.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "stockledger.urls"
WSGI_APPLICATION = "stockledger.wsgi.application"
AUTH_USER_MODEL = "core.User"
# Database sessions whose rows name their user: a page reads session, user and company in one
# query (core/sessions.py).
SESSION_ENGINE = "stockledger.core.sessions"
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "stockledger.core.page_access.access",
            ],
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    DATABASES["default"].setdefault("OPTIONS", {})
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(STOCKLEDGER_HOME / "stockledger.sqlite3"),
            "OPTIONS": {
                # Writers take the write lock when their transaction starts (BEGIN IMMEDIATE),
                # so concurrent writers queue on busy_timeout instead of failing mid-way.
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": (
                    "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON;"
                ),
            },
            "TEST": {"NAME": str(STOCKLEDGER_HOME / "test-stockledger.sqlite3")},
            # Each server thread keeps its connection between requests, as on PostgreSQL:
            # opening one (connect, three PRAGMAs, Django's SQL functions) was a tenth of an
            # API request's time in `stockledger serve` (issue 15).
            "CONN_MAX_AGE": 60,
        }
    }
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# An optional PostgreSQL streaming replica for reads (core/db_routing.py has the rule).
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(DATABASE_REPLICA_URL, conn_max_age=60)
    DATABASES["replica"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
    # Tests: the replica streams the primary's test database, it creates none of its own.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}


def _generic_plans(database: Any) -> None:
    """PostgreSQL sessions reuse one generic plan for a prepared statement. The only statements
    the app prepares are log pages (ledger/prepared.py: Django binds everything else on the
    client, and the log's trigger functions run no query); left to `auto`, PostgreSQL keeps
    planning them with their values, because a plan for a known date bound looks cheaper
    than the generic one, and planning every monthly partition is what a page costs
    (docs/scale.md). A startup option, so a rolled-back transaction cannot undo it."""
    if "postgresql" not in database.get("ENGINE", ""):
        return
    options = database.setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c plan_cache_mode=force_generic_plan"
    options["options"] = options["options"].strip()


for _database in DATABASES.values():
    _generic_plans(_database)
DATABASE_ROUTERS = ["stockledger.core.db_routing.ReplicaRouter"]
# A replica further behind than this (seconds) is skipped; its lag is checked this often.
STOCKLEDGER_REPLICA_MAX_LAG = float(os.environ.get("STOCKLEDGER_REPLICA_MAX_LAG", "5"))
STOCKLEDGER_REPLICA_CHECK_SECONDS = float(os.environ.get("STOCKLEDGER_REPLICA_CHECK_SECONDS", "3"))
# How long an export waits for the replica to replay up to the moment it was asked for.
STOCKLEDGER_REPLICA_EXPORT_WAIT_SECONDS = float(
    os.environ.get("STOCKLEDGER_REPLICA_EXPORT_WAIT_SECONDS", "10")
)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # Counts failed sign-ins (every login form: ours and /admin/) and refuses locked-out ones.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Sign-in throttling (django-axes): after AXES_FAILURE_LIMIT failures for one username, or from
# one client address, sign-ins are refused for a cool-off that doubles with every further
# failure (1 minute, 2, 4 ... at most an hour); a success resets the count. The client address
# is REMOTE_ADDR, which the server sets from X-Forwarded-For only for a trusted proxy.
AXES_FAILURE_LIMIT = int(os.environ.get("STOCKLEDGER_LOGIN_FAILURE_LIMIT", "5"))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_COOLOFF_TIME = "stockledger.core.signin.cool_off"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/locked_out.html"
AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)
AXES_VERBOSE = False
# The log names the user name and address of failed and locked-out sign-ins (never a password).
AXES_SENSITIVE_PARAMETERS: list[str] = []

# Applied wherever a password is set: create-company, the people pages and API, own password.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
# Several servers of one release may share one collected copy (the tests do: collecting with
# gzip and Brotli copies takes about a minute).
STATIC_ROOT = Path(os.environ.get("STOCKLEDGER_STATIC_ROOT") or STOCKLEDGER_HOME / "static")
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Hashed names (app.3f2a9c.css) with gzip and Brotli copies, written by `collectstatic`
# (which `stockledger serve` runs at start) and served by WhiteNoise with a year's immutable
# cache. Under DEBUG the files are served from the app packages directly.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_KEEP_ONLY_HASHED_FILES = True  # half the compressing; pages link hashed names only
WHITENOISE_AUTOREFRESH = DEBUG

TASKS = {
    "default": {
        "BACKEND": os.environ.get("STOCKLEDGER_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# Sales channel sync (channels/jobs.py): the worker's scheduler ticks every TICK seconds; a stock
# change reaches a channel after DEBOUNCE seconds (batched); order polling, quantity read-back
# and the full writeback pass run every ORDERS / READBACK / WRITEBACK seconds; failures back
# off from BACKOFF seconds and suspend the channel after MAX_FAILURES in a row; one run's
# requests stop after RUN seconds; at most COMPANY_WORKERS runs of one company at a time.
STOCKLEDGER_SYNC_TICK_SECONDS = float(os.environ.get("STOCKLEDGER_SYNC_TICK_SECONDS", "2"))
STOCKLEDGER_SYNC_DEBOUNCE_SECONDS = float(os.environ.get("STOCKLEDGER_SYNC_DEBOUNCE_SECONDS", "5"))
STOCKLEDGER_SYNC_ORDERS_SECONDS = int(os.environ.get("STOCKLEDGER_SYNC_ORDERS_SECONDS", "60"))
STOCKLEDGER_SYNC_READBACK_SECONDS = int(os.environ.get("STOCKLEDGER_SYNC_READBACK_SECONDS", "3600"))
STOCKLEDGER_SYNC_WRITEBACK_SECONDS = int(
    os.environ.get("STOCKLEDGER_SYNC_WRITEBACK_SECONDS", "3600")
)
STOCKLEDGER_SYNC_BACKOFF_SECONDS = float(os.environ.get("STOCKLEDGER_SYNC_BACKOFF_SECONDS", "30"))
STOCKLEDGER_SYNC_MAX_FAILURES = int(os.environ.get("STOCKLEDGER_SYNC_MAX_FAILURES", "5"))
STOCKLEDGER_SYNC_RUN_SECONDS = float(os.environ.get("STOCKLEDGER_SYNC_RUN_SECONDS", "120"))
STOCKLEDGER_SYNC_COMPANY_WORKERS = int(os.environ.get("STOCKLEDGER_SYNC_COMPANY_WORKERS", "2"))

# Export files: where finished files are published, and how long they are kept.
STOCKLEDGER_EXPORTS_DIR = Path(
    os.environ.get("STOCKLEDGER_EXPORTS_DIR", STOCKLEDGER_HOME / "exports")
).resolve()
STOCKLEDGER_EXPORT_RETENTION_DAYS = int(os.environ.get("STOCKLEDGER_EXPORT_RETENTION_DAYS", "7"))
# Where finished files live: a class with the stockledger.exports.storage.ExportStorage
# interface (the default keeps them under STOCKLEDGER_EXPORTS_DIR; object storage can slot in).
STOCKLEDGER_EXPORT_STORAGE = os.environ.get(
    "STOCKLEDGER_EXPORT_STORAGE", "stockledger.exports.storage.LocalExportStorage"
)
# stockledger.exports.storage.S3ExportStorage: the bucket (and key prefix) every machine
# reaches; endpoint for S3-compatible stores; credentials also from boto3's usual chain.
STOCKLEDGER_S3_BUCKET = os.environ.get("STOCKLEDGER_S3_BUCKET", "")
STOCKLEDGER_S3_PREFIX = os.environ.get("STOCKLEDGER_S3_PREFIX", "exports/")
STOCKLEDGER_S3_ENDPOINT_URL = os.environ.get("STOCKLEDGER_S3_ENDPOINT_URL", "")
STOCKLEDGER_S3_REGION = os.environ.get("STOCKLEDGER_S3_REGION", "")
STOCKLEDGER_S3_ACCESS_KEY_ID = os.environ.get("STOCKLEDGER_S3_ACCESS_KEY_ID", "")
STOCKLEDGER_S3_SECRET_ACCESS_KEY = os.environ.get("STOCKLEDGER_S3_SECRET_ACCESS_KEY", "")
STOCKLEDGER_S3_PART_SIZE = int(os.environ.get("STOCKLEDGER_S3_PART_SIZE", str(16 * 1024 * 1024)))
# A running export writes a heartbeat this often; one silent for STALE seconds is taken for
# dead (its worker was killed) and run again, up to MAX_ATTEMPTS runs, or marked failed.
STOCKLEDGER_EXPORT_HEARTBEAT_SECONDS = float(
    os.environ.get("STOCKLEDGER_EXPORT_HEARTBEAT_SECONDS", "5")
)
STOCKLEDGER_EXPORT_STALE_SECONDS = float(os.environ.get("STOCKLEDGER_EXPORT_STALE_SECONDS", "30"))
STOCKLEDGER_EXPORT_MAX_ATTEMPTS = int(os.environ.get("STOCKLEDGER_EXPORT_MAX_ATTEMPTS", "3"))
# How often each worker looks for stale exports (and, every hour, expired files).
STOCKLEDGER_EXPORT_MAINTENANCE_SECONDS = float(
    os.environ.get("STOCKLEDGER_EXPORT_MAINTENANCE_SECONDS", "10")
)
# Every `stockledger worker` process records a heartbeat this often (core/workers.py); one
# silent for STALE seconds is dead: the jobs it held (imports, channel syncs, inbound
# webhooks) are run again, up to MAX_ATTEMPTS runs, or failed with the reason. A job held by
# a worker that never recorded a heartbeat (a bare `db_worker`) is taken for lost after
# CLAIM seconds. Exports keep their own heartbeat (above).
STOCKLEDGER_WORKER_HEARTBEAT_SECONDS = float(
    os.environ.get("STOCKLEDGER_WORKER_HEARTBEAT_SECONDS", "5")
)
STOCKLEDGER_WORKER_STALE_SECONDS = float(os.environ.get("STOCKLEDGER_WORKER_STALE_SECONDS", "30"))
STOCKLEDGER_JOB_MAX_ATTEMPTS = int(os.environ.get("STOCKLEDGER_JOB_MAX_ATTEMPTS", "2"))
STOCKLEDGER_JOB_CLAIM_SECONDS = float(os.environ.get("STOCKLEDGER_JOB_CLAIM_SECONDS", "3600"))
# Tests only: pause this long after every 1,000 rows so a test can kill a worker mid-export.
STOCKLEDGER_EXPORT_THROTTLE_SECONDS = float(
    os.environ.get("STOCKLEDGER_EXPORT_THROTTLE_SECONDS", "0")
)
# PostgreSQL: the worker keeps this month and this many months ahead as log partitions.
STOCKLEDGER_LOG_PARTITIONS_AHEAD = int(os.environ.get("STOCKLEDGER_LOG_PARTITIONS_AHEAD", "3"))

# Spreadsheet imports: uploaded files (owner-only), the largest accepted, and the size under
# which a file is checked while the upload request waits (larger ones are checked by a worker).
STOCKLEDGER_IMPORTS_DIR = Path(
    os.environ.get("STOCKLEDGER_IMPORTS_DIR", STOCKLEDGER_HOME / "imports")
).resolve()
STOCKLEDGER_IMPORT_MAX_BYTES = int(
    os.environ.get("STOCKLEDGER_IMPORT_MAX_BYTES", str(50 * 1024 * 1024))
)
STOCKLEDGER_IMPORT_INLINE_BYTES = int(
    os.environ.get("STOCKLEDGER_IMPORT_INLINE_BYTES", str(256 * 1024))
)
# Outbound HTTP of channel adapters reaches only public addresses; the operator may allow
# host names, addresses or CIDR networks here (comma separated). See core/outbound.py.
STOCKLEDGER_OUTBOUND_ALLOW = os.environ.get("STOCKLEDGER_OUTBOUND_ALLOW", "")
# Key for secrets stored encrypted (store access tokens); SECRET_KEY when unset.
STOCKLEDGER_SECRETS_KEY = os.environ.get("STOCKLEDGER_SECRETS_KEY", "")
# Inbound channel webhooks (/hooks/...): the largest body accepted.
STOCKLEDGER_HOOK_MAX_BYTES = int(os.environ.get("STOCKLEDGER_HOOK_MAX_BYTES", str(1024 * 1024)))

# API limits (see docs/api.md, "Limits").
STOCKLEDGER_MAX_BODY_BYTES = int(os.environ.get("STOCKLEDGER_MAX_BODY_BYTES", str(5 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = STOCKLEDGER_MAX_BODY_BYTES
# Per-token rate limit (token bucket): sustained requests per second, and the burst allowed
# after a quiet spell. Store `memory` (one server process, the default) or `database`
# (exact across several server processes or machines).
STOCKLEDGER_RATE_LIMIT_ENABLED = _env_bool("STOCKLEDGER_RATE_LIMIT", True)
STOCKLEDGER_RATE_LIMIT_PER_SECOND = float(os.environ.get("STOCKLEDGER_RATE_LIMIT_PER_SECOND", "50"))
STOCKLEDGER_RATE_LIMIT_BURST = int(os.environ.get("STOCKLEDGER_RATE_LIMIT_BURST", "500"))
STOCKLEDGER_RATE_LIMIT_STORE = os.environ.get("STOCKLEDGER_RATE_LIMIT_STORE", "memory")
# Idempotency-Key: how long keys are kept, and after how long a request still marked running
# (its server process died) may be taken over by a retry.
STOCKLEDGER_IDEMPOTENCY_RETENTION_HOURS = int(
    os.environ.get("STOCKLEDGER_IDEMPOTENCY_RETENTION_HOURS", "24")
)
STOCKLEDGER_IDEMPOTENCY_STALE_SECONDS = int(
    os.environ.get("STOCKLEDGER_IDEMPOTENCY_STALE_SECONDS", "600")
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # When each line happened, to the millisecond: a worker's log is read to see what waited.
    "formatters": {"timed": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "timed"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {
        "stockledger": {"level": os.environ.get("LOG_LEVEL", "INFO"), "propagate": True},
    },
}

# Behind TLS in production (`STOCKLEDGER_HTTPS=true`): HTTPS only, secure cookies, HSTS. Off by
# default because a fresh self-hosted install serves plain HTTP on 127.0.0.1.
STOCKLEDGER_HTTPS = _env_bool("STOCKLEDGER_HTTPS", False)
# The reverse proxy in front (nginx, Caddy ...) that terminates TLS: its address (or several,
# comma-separated), or the number of proxies in front. `stockledger serve` then takes the
# client's address and scheme from that proxy's X-Forwarded-For / X-Forwarded-Proto, and from
# nobody else.
STOCKLEDGER_TRUSTED_PROXY = os.environ.get("STOCKLEDGER_TRUSTED_PROXY", "").strip()
if STOCKLEDGER_TRUSTED_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if STOCKLEDGER_HTTPS:
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

if not DEBUG:
    SESSION_COOKIE_HTTPONLY = True
    CSRF_COOKIE_HTTPONLY = False
    X_FRAME_OPTIONS = "DENY"
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"

# Content-Security-Policy: every script and style is a local file; no inline script, no eval,
# no inline style, no framing. The API's interactive docs (Swagger UI, which ninja renders with an
# inline bootstrap script) are the one page without it.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/api/v1/docs"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
