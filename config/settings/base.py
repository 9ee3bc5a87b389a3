"""Settings shared by every environment; each value can be set in the environment.

The defaults need no server of the machine's: the embedded PostgreSQL server under var/
(started by `make run` and `make test`) and a filesystem Celery broker, so that a first
run works on a bare machine. Production and CI set DATABASE_URL to their PostgreSQL and
CELERY_BROKER_URL to Redis.
"""

from pathlib import Path

import pghistory
from csp.constants import NONCE, NONE, SELF
from django.db import models

from core import embedded_db

from .environment import (
    crontab_from_line,
    env,
    env_bool,
    env_postgresql,
    env_secret,
    postgresql_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_secret("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # allauth's list of security keys ({% load humanize %}).
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "rest_framework",
    "django_filters",
    "corsheaders",
    "csp",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_countries",
    "pgtrigger",
    "pghistory",
    # The shared building blocks; an app for its management command (translations).
    "core",
    # Logging in, with a second factor (TOTP, security keys, recovery codes): accounts.
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "audit",
    "publication",
    "partnerships",
    "agreements",
    "incidents",
    "oversight",
    "activities",
    "feedback",
    "reports",
    "public",
    "accounts",
    "demo",
    "imports",
    "alerts",
]

MIDDLEWARE = [
    # Pages, lists and exports compressed for clients that accept it (CSRF tokens are masked
    # per response, so compression gives no secret away).
    "django.middleware.gzip.GZipMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Cache-Control, ETags and 304s on what the public reads (above the policy headers).
    "core.caching.PublicCachingMiddleware",
    # A view that finds the database unreachable answers 503 with Retry-After, not 500.
    "core.unavailable.DatabaseUnavailableMiddleware",
    # Before WhiteNoise, so that static files carry the headers too.
    "core.middleware.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The reader's language (LANGUAGES); a response varies on Accept-Language and Cookie.
    "core.middleware.LocaleMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: an anonymous reader's public page is read on a replica.
    "core.routing.ReplicaMiddleware",
    # After authentication: the audit trail names the acting user and their organizations.
    "partnerships.middleware.OrganizationAuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # After authentication and messages: an account that must use a second factor and has
    # none is sent to set one up (STAFF_MFA_REQUIRED).
    "accounts.middleware.MfaRequiredMiddleware",
    # Follower accounts (alerts) are refused on every staff page.
    "alerts.middleware.FollowerStaffPagesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "oversight.context_processors.oversight",
                "agreements.context_processors.publication",
                # CONTENT_LANGUAGE: the lang of what the parties wrote.
                "core.context_processors.content_language",
            ],
            "libraries": {"durations": "core.durations", "error_summary": "core.error_summary"},
        },
    },
]

DATABASES = {
    # Without DATABASE_URL: the embedded PostgreSQL server that `make run` and `make test`
    # start (core/embedded_db.py), on its Unix socket.
    "default": env_postgresql("DATABASE_URL", default=embedded_db.default_url()),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# How long a reader or a proxy may reuse a public page, list or feed before revalidating.
PUBLIC_MAX_AGE_SECONDS = env.int("PUBLIC_MAX_AGE_SECONDS", default=60)
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
# A persistent connection is checked before a request reuses it, so that one the server
# dropped meanwhile (a restart) is replaced rather than failing the request.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# PostgreSQL's JIT compilation off for the app's connections: on the registry's queries it
# costs more than it saves (benchmarks/RESULTS.md, "JIT"). DATABASE_JIT=on restores it.
# Parallel workers off too (DATABASE_PARALLEL_WORKERS=2 allows two per query): the public
# read path reads a page through indexes, and starting workers for a search of a million
# agreements cost more than the few rows they found (benchmarks/RESULTS.md, "parallel").
_options = DATABASES["default"].setdefault("OPTIONS", {})
_options["options"] = " ".join(
    [
        _options.get("options", ""),
        f"-c jit={'on' if env_bool('DATABASE_JIT', False) else 'off'}",
        f"-c max_parallel_workers_per_gather={env.int('DATABASE_PARALLEL_WORKERS', default=0)}",
    ]
).strip()
# Read-only replicas of the primary, comma-separated URLs: the public's reads (anonymous
# GETs of the public pages, API, exports and feeds) go to one of them, every write, staff
# page and job to the primary (core.routing). Each is an alias, replica_1, replica_2...
DATABASE_REPLICAS = []
for _number, _url in enumerate(env.list("DATABASE_REPLICA_URLS", default=[]), start=1):
    _alias = f"replica_{_number}"
    DATABASES[_alias] = postgresql_url("DATABASE_REPLICA_URLS", env.db_url_config(_url))
    for _key in ("ATOMIC_REQUESTS", "CONN_MAX_AGE", "CONN_HEALTH_CHECKS"):
        DATABASES[_alias][_key] = DATABASES["default"][_key]
    DATABASES[_alias]["OPTIONS"] = dict(_options)
    DATABASE_REPLICAS.append(_alias)
DATABASE_ROUTERS = ["core.routing.ReplicaRouter"]
# The role that owns the tables, for `migrate --database=migrator` and
# `setup_database_roles`; DATABASE_URL then names the app role, which may not change or
# delete audit events (audit.roles).
if env.str("MIGRATE_DATABASE_URL", default=""):
    DATABASES["migrator"] = env_postgresql("MIGRATE_DATABASE_URL")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "accounts:dashboard"
LOGOUT_REDIRECT_URL = "public:home"
# How long an invitation's set-password link (and a password-reset link) stays valid.
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3 * 24 * 3600)

# Logging in is django-allauth's (accounts.login_urls), by user name, with a second factor
# for the accounts that have one. Accounts are created by invitation only: no sign-up.
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_SESSION_REMEMBER = True  # as Django's login did: the session outlives the browser
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_TOTP_ISSUER = "Partnership Registry"
MFA_FORMS = {"authenticate": "accounts.forms.MfaAuthenticateForm"}
# Editors, members of oversight organizations and administrators must set up a second
# factor before they reach any staff page (accounts.permissions.must_use_mfa). On in
# production (config.settings.production), off here, in development and in the tests.
STAFF_MFA_REQUIRED = env_bool("STAFF_MFA_REQUIRED", False)
# The login lockout (accounts.adapter): after LOGIN_FAILURE_LIMIT wrong passwords for one
# user name from one client address, that name is refused from that address until the
# oldest failure is LOGIN_LOCKOUT_MINUTES old; the right password too. Per name and address,
# not per address alone: the colleagues of a shared office keep logging in. One address is
# refused altogether past LOGIN_ADDRESS_FAILURES_PER_MINUTE failures whatever the names
# (password spraying), and answered 429 past 30 logins a minute. The same limits count wrong
# two-factor codes per account. The counts live in the cache (CACHE_URL): with several web
# processes, only a shared cache (Redis) makes them exact.
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_LOCKOUT_MINUTES = env.int("LOGIN_LOCKOUT_MINUTES", default=15)
LOGIN_ADDRESS_FAILURES_PER_MINUTE = env.int("LOGIN_ADDRESS_FAILURES_PER_MINUTE", default=20)
ACCOUNT_RATE_LIMITS = {
    "login": "30/1m/ip",
    "login_failed": f"{LOGIN_FAILURE_LIMIT}/{LOGIN_LOCKOUT_MINUTES}m/key,"
    f"{LOGIN_ADDRESS_FAILURES_PER_MINUTE}/1m/ip",
    # Followers signing up (alerts.views.SignUpView): per client address, and per e-mail
    # address (the key), so that nobody floods an inbox with confirmation e-mails.
    "follower_signup": env.str("FOLLOWER_SIGNUP_RATE_LIMIT", "10/1h/ip,3/1h/key"),
}

# The interface in English, Spanish and French (core.translations): the language comes from
# the reader's choice (the switcher sets LANGUAGE_COOKIE_NAME) or their browser's
# Accept-Language, never from the URL: every page has one address in every language.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
# What the parties write (titles, summaries, rationales) is shown as they wrote it, marked
# with this language (lang=…) whatever the interface's.
CONTENT_LANGUAGE = env.str("CONTENT_LANGUAGE", default="en")
# Dates as each language writes them (templates name DATE_FORMAT, SHORT_DATE_FORMAT, …).
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
# Uploaded agreement documents. Not served as static files: access is checked per request.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Largest signed agreement document (PDF) a staff member may upload.
AGREEMENT_DOCUMENT_MAX_BYTES = env.int("AGREEMENT_DOCUMENT_MAX_BYTES", default=20 * 1024 * 1024)
# CSV imports (imports/): the largest file a staff member may upload, and the most rows
# checked and applied within the request; a larger file goes to the background worker,
# and its page shows the progress.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=25 * 1024 * 1024)
IMPORT_INLINE_ROWS = env.int("IMPORT_INLINE_ROWS", default=500)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# e.g. smtp+tls://user:password@mail.example.org:587, consolemail://, dummymail://
_email = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "")
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
# The registry's public address, for links in e-mails.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
# The licence of the registry's public data: on the methodology page, and in a header of
# every API response and on its root.
DATA_LICENCE_NAME = env.str("DATA_LICENCE_NAME", default="CC BY 4.0")
DATA_LICENCE_URL = env.str(
    "DATA_LICENCE_URL", default="https://creativecommons.org/licenses/by/4.0/"
)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="registry@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: every CELERY_* setting configures config.celery.app.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
BROKER_DIR = VAR_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    # kombu's filesystem transport: messages are files under var/broker/, so a
    # first run needs no broker server. Worker, beat and web share the folders.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "store_processed": False,
        "control_folder": str(BROKER_DIR / "control"),
    }
else:
    # Redis hands a message out again once it has been unacknowledged this long (its worker
    # died): longer than a job's hard time limit plus its longest retry delay
    # (core.tasks.JOB_OPTIONS), so that a running job is never handed out twice, and short,
    # so that the work of a lost worker is done again within the half hour.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 30 * 60}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The nightly jobs, in TIME_ZONE; each schedule is a crontab line
# ("minute hour day-of-month month day-of-week") and can be set in the environment.
CELERY_BEAT_SCHEDULE = {
    "run-flagging": {
        "task": "oversight.tasks.run_flagging",
        "schedule": crontab_from_line(
            "FLAGGING_SCHEDULE", env.str("FLAGGING_SCHEDULE", "15 2 * * *")
        ),
    },
    "send-digests": {
        "task": "oversight.tasks.send_digests",
        "schedule": crontab_from_line("DIGEST_SCHEDULE", env.str("DIGEST_SCHEDULE", "45 2 * * *")),
    },
    # Shortly after midnight: an embargo "until 22 November" lifts at the start of that
    # day in TIME_ZONE, and the notice goes out a day before.
    "lift-embargoes": {
        "task": "agreements.tasks.lift_embargoes",
        "schedule": crontab_from_line("EMBARGO_SCHEDULE", env.str("EMBARGO_SCHEDULE", "5 0 * * *")),
    },
    # Unconfirmed feedback is deleted a week after it was left (feedback.services).
    "delete-unconfirmed-feedback": {
        "task": "feedback.tasks.delete_unconfirmed_feedback",
        "schedule": crontab_from_line(
            "FEEDBACK_CLEANUP_SCHEDULE", env.str("FEEDBACK_CLEANUP_SCHEDULE", "50 3 * * *")
        ),
    },
    "verify-audit-log": {
        "task": "audit.tasks.verify_audit_log",
        "schedule": crontab_from_line(
            "AUDIT_VERIFY_SCHEDULE", env.str("AUDIT_VERIFY_SCHEDULE", "30 3 * * *")
        ),
    },
}
# The agreements' stored derived facts (risk level, auditor independence) re-derived where
# they differ from their rules: a safety net, the writes keep them. Before the flagging run,
# which judges the agreements on them.
CELERY_BEAT_SCHEDULE["refresh-derived"] = {
    "task": "oversight.tasks.refresh_derived",
    "schedule": crontab_from_line(
        "DERIVED_REFRESH_SCHEDULE", env.str("DERIVED_REFRESH_SCHEDULE", "5 2 * * *")
    ),
}
# Alerts (alerts/): every few minutes, match the published changes of the audit log against
# the saved searches and send the e-mails due (immediately, daily or weekly).
CELERY_BEAT_SCHEDULE["send-alerts"] = {
    "task": "alerts.tasks.send_alerts",
    "schedule": crontab_from_line("ALERTS_SCHEDULE", env.str("ALERTS_SCHEDULE", "*/5 * * * *")),
}
# An alert whose search matched more records a day than this (over the last 30 days) is
# refused when saved, with the reason.
ALERTS_MAX_PER_DAY = env.int("ALERTS_MAX_PER_DAY", default=20)
# Webhooks of alerts: the due deliveries and retries, every minute.
CELERY_BEAT_SCHEDULE["deliver-webhooks"] = {
    "task": "alerts.tasks.deliver_webhooks",
    "schedule": crontab_from_line("WEBHOOKS_SCHEDULE", env.str("WEBHOOKS_SCHEDULE", "* * * * *")),
}
# Networks whose addresses an endpoint may have although they are private, loopback or
# link-local (refused otherwise: SSRF); none in production, 127.0.0.1/32 in the tests.
WEBHOOK_ALLOWED_PRIVATE_NETWORKS = env.list("WEBHOOK_ALLOWED_PRIVATE_NETWORKS", default=[])
# After this many failed attempts in a row, the endpoint's owner is told by e-mail.
WEBHOOK_NOTIFY_AFTER = env.int("WEBHOOK_NOTIFY_AFTER", default=3)
# Public feedback: how many reports hide a published item pending review.
FEEDBACK_REPORTS_TO_HIDE = env.int("FEEDBACK_REPORTS_TO_HIDE", default=3)
# Transparency reports (reports/): each day, the job publishes the reports of the year just
# ended once the day of the year set here (DD-MM) has come.
TRANSPARENCY_REPORT_DATE = env.str("TRANSPARENCY_REPORT_DATE", default="02-01")
CELERY_BEAT_SCHEDULE["generate-transparency-reports"] = {
    "task": "reports.tasks.generate_yearly_reports",
    "schedule": crontab_from_line(
        "TRANSPARENCY_REPORT_SCHEDULE", env.str("TRANSPARENCY_REPORT_SCHEDULE", "20 4 * * *")
    ),
}
# The home page's and /api/v1/stats/'s figures (public.summary): counted again a few
# seconds after a request finds them behind a write (one count for a burst of writes),
# and every night.
REGISTRY_SUMMARY_DEBOUNCE_SECONDS = env.int("REGISTRY_SUMMARY_DEBOUNCE_SECONDS", default=5)
CELERY_BEAT_SCHEDULE["refresh-registry-summary"] = {
    "task": "public.tasks.refresh_registry_summary",
    "schedule": crontab_from_line("SUMMARY_SCHEDULE", env.str("SUMMARY_SCHEDULE", "15 0 * * *")),
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Beat wakes at least once a minute and touches "<schedule file>.heartbeat" each time: the
# beat container's health check reads it (core.beat). Run exactly one beat: a second one
# would send every job twice.
CELERY_BEAT_SCHEDULER = "core.beat:HeartbeatScheduler"
CELERY_BEAT_MAX_LOOP_INTERVAL = 60
# How long a save (enqueueing its follow-up work) waits on each try to reach the broker.
BROKER_TIMEOUT_SECONDS = env.float("BROKER_TIMEOUT_SECONDS", default=1.0)
# How long /healthz waits for the broker before calling it unreachable.
HEALTHZ_BROKER_TIMEOUT_SECONDS = env.float("HEALTHZ_BROKER_TIMEOUT_SECONDS", default=2.0)

# The audit trail (django-pghistory). Audit tables are append-only; their columns are
# nullable and carry no default, so that a column added later leaves past events (and
# their hashes, which skip NULL members) as they were.
PGHISTORY_APPEND_ONLY = True
PGHISTORY_FIELD = pghistory.Field(null=True, blank=True)
PGHISTORY_EXCLUDE_FIELD_KWARGS = {models.Field: ["default", "db_default"]}
# Foreign keys of a snapshot are not indexed (each index slows every audited write); the
# event models index the few that the histories read (audit.trail).
PGHISTORY_FOREIGN_KEY_FIELD = pghistory.ForeignKey(db_index=False)
# The key that signs the checkpoints of the audit chain (audit.models.AuditCheckpoint); empty:
# derived from SECRET_KEY. Set it to keep checkpoints verifiable across a SECRET_KEY change.
AUDIT_SIGNING_KEY = env_secret("AUDIT_SIGNING_KEY", default="")
# A file outside the database keeping the last signed checkpoint, e.g. on a volume the
# database's administrators cannot write: verification then detects checkpoints deleted
# together with the events they vouched for. Empty: none.
AUDIT_HEAD_FILE = env.str("AUDIT_HEAD_FILE", default="")

# The public API (config/api.py): read-only, anonymous, JSON only (no browsable API whose
# forms could list records), throttled per client address.
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["core.api.defaults.ORJSONRenderer"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "core.api.defaults.RegistryPagination",
    "DEFAULT_THROTTLE_CLASSES": ["core.api.defaults.PublicAnonThrottle"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    # ?format= selects an export (csv, json) in the list views, not a renderer.
    "URL_FORMAT_OVERRIDE": None,
    # How many proxies stand before the app: the throttle counts the client address they
    # report, and ignores X-Forwarded-For entries a client wrote itself. 0: none (gunicorn
    # faces the clients), so the throttle counts the connection's own address.
    "NUM_PROXIES": env.int("API_NUM_PROXIES", default=0),
}
# The login lockout counts client addresses behind the same proxies.
ALLAUTH_TRUSTED_PROXY_COUNT = REST_FRAMEWORK["NUM_PROXIES"]
# Requests per client address, e.g. "120/minute", "5000/day".
API_ANON_THROTTLE_RATE = env.str("API_ANON_THROTTLE_RATE", default="120/minute")
SPECTACULAR_SETTINGS = {
    "TITLE": "Partnership Registry API",
    "DESCRIPTION": "The public record of partnerships between NGOs and police agencies: "
    "organizations, partnerships, agreements and their data-sharing terms, oversight "
    "reviews and flags. Read-only and anonymous. Every list takes `format=csv` or "
    "`format=json` to download all matching rows. Lists come in pages: follow the `next` "
    "and `previous` links, which carry a `cursor` and cost the same at any depth; `page` "
    "numbers reach 10,000 rows deep (deeper is a 400 pointing to the cursor). `count` is "
    "exact up to 10,000 rows and PostgreSQL's estimate above, as `count_is_estimate` says.",
    "VERSION": "v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",  # vendored: the docs page loads nothing from elsewhere
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No "valid" badge fetched from swagger.io, which would send it the schema's address; no
    # deep links, which put a link inside each operation's button (nested controls).
    "SWAGGER_UI_SETTINGS": {"deepLinking": False, "validatorUrl": "none"},
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "public.api.schema.anonymous_operations_and_exports",
    ],
    # One named enum per choice set, shared wherever it appears.
    "ENUM_NAME_OVERRIDES": {
        "RegionEnum": "partnerships.models.Region",
        "OrganizationKindEnum": "partnerships.models.Organization.Kind",
        "PartnershipStatusEnum": "partnerships.models.Partnership.Status",
        "AgreementKindEnum": "agreements.models.Agreement.Kind",
        "AgreementStatusEnum": "agreements.models.Agreement.Status",
        "RiskLevelEnum": "agreements.models.RiskLevel",
        "DataCategoryEnum": "agreements.choices.DataCategory",
        "ClauseTopicEnum": "agreements.clauses.TOPIC_NAMES",
        "ReviewKindEnum": "oversight.models.Review.Kind",
        "ReviewStatusEnum": "oversight.models.Review.Status",
        "FindingStatusEnum": "oversight.models.Finding.Status",
        "FlagKindEnum": "oversight.models.Flag.Kind",
    },
}
# Content-Security-Policy (django-csp) of every response that has none of its own: every
# asset is served from here (static/ is vendored), so nothing may load from elsewhere, and
# a script runs only from a static file or with the request's nonce
# (``nonce="{{ request.csp_nonce }}"``). Inline styles are refused: styles live in
# static/css. ``data:`` images are the CSS's own icons and the blank favicon.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}
# Permissions-Policy (core.middleware) of every response: browser features no page of the
# registry uses, denied to it and to anything injected into it. Web authentication (security
# keys) and the clipboard (the API docs' "copy" buttons) are left alone.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "encrypted-media",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "interest-cohort",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}

# Journalists' notebooks may call the API from any origin; GET only.
CORS_ALLOW_ALL_ORIGINS = True
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_EXPOSE_HEADERS = [
    "Content-Disposition",
    "ETag",
    "Last-Modified",
    "Link",
    "Retry-After",
    "X-Data-Licence",
]
# The throttle counts requests here; several web processes share counts only with a
# shared cache, e.g. CACHE_URL=redis://redis:6379/1.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
    },
}
