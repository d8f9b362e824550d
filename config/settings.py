"""Allhands settings, read from the environment (django-environ).

With nothing configured the app runs on SQLite and an embedded Celery broker
(kombu's ``filesystem://`` transport) kept in ``data/``.  With ``DATABASE_URL`` and
``REDIS_URL`` set, the same code runs on PostgreSQL with Redis as broker and cache.

``ALLHANDS_ENV=production`` switches to the production shape: ``SECRET_KEY`` and
``ALLOWED_HOSTS`` must be given, and the security settings are strict.
"""

import datetime
import secrets
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
env_file = BASE_DIR / ".env"
if env_file.exists():
    env.read_env(str(env_file))

ALLHANDS_ENV = env.str("ALLHANDS_ENV", default="development")
PRODUCTION = ALLHANDS_ENV == "production"

DATA_DIR = Path(env.str("ALLHANDS_DATA_DIR", default=str(BASE_DIR / "data")))
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _development_secret_key() -> str:
    """A per-checkout random key, so that no key is ever written in the code."""
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


if PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY")  # no default: fails loudly when missing
    if not SECRET_KEY.strip():
        raise ImproperlyConfigured("Set the SECRET_KEY environment variable (it is empty)")
    DEBUG = env.bool("DEBUG", default=False)
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
else:
    SECRET_KEY = env.str("SECRET_KEY", default="") or _development_secret_key()
    DEBUG = env.bool("DEBUG", default=True)
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])

CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

VERSION = "0.1.0"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",
    "django_htmx",
    "django_celery_beat",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "departments",
    "tasks",
    "rewards",
    "accounts",
    "audit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "audit.middleware.AuditMiddleware",  # keeps the request for the audit log, records 403s
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "config.middleware.SessionTimeoutMiddleware",
    "config.middleware.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into the locked-out page
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "departments.context_processors.allhands",
                "tasks.context_processors.navigation_counts",
                "config.background.background_work",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    # An empty DATABASE_URL (a common leftover in env files) means "not configured".
    "default": env.db_url_config(
        env.str("DATABASE_URL", default="") or f"sqlite:///{DATA_DIR / 'allhands.sqlite3'}"
    ),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers queue for the lock instead of failing with "database is locked", and a
    # transaction takes the write lock at BEGIN so that check-then-insert is serialised.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("TEST", {})
if env.str("TEST_DATABASE_NAME", default=""):
    DATABASES["default"]["TEST"]["NAME"] = env.str("TEST_DATABASE_NAME")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Internationalisation
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="zh-hans")
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT.mkdir(exist_ok=True)
# Outside production, WhiteNoise serves straight from the apps' static folders (no
# collectstatic needed for `make run` or the browser tests).
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Cache: Redis when available (shared between web processes), memory otherwise.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # A Redis that does not answer must not hold a request for the operating
            # system's TCP timeout (the API's rate limits then let requests through).
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: Redis in production, kombu's filesystem transport when nothing is configured.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or REDIS_URL or "filesystem://"
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or REDIS_URL or ""
if CELERY_BROKER_URL == "filesystem://":
    _broker_dir = DATA_DIR / "celery" / "broker"
    _processed_dir = DATA_DIR / "celery" / "processed"
    _results_dir = DATA_DIR / "celery" / "results"
    _control_dir = DATA_DIR / "celery" / "control"  # fanout exchanges (worker control)
    for _folder in (_broker_dir, _processed_dir, _results_dir, _control_dir):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_processed_dir),
        "control_folder": str(_control_dir),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = CELERY_RESULT_BACKEND or f"file://{_results_dir}"
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 60 * 30
CELERY_TASK_SOFT_TIME_LIMIT = 60 * 25
CELERY_RESULT_EXPIRES = 60 * 60 * 24 * 7
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True

# Email: printed on the console unless an SMTP server is configured.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
# Emails are sent inside the transaction that marks them sent: a mail server that stops
# answering must fail the send (it is tried again later), not hold the job and its locks.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Allhands <allhands@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Product settings
ALLHANDS_CURRENCY = env.str("ALLHANDS_CURRENCY", default="CNY")
ALLHANDS_DEFAULT_DAILY_BUDGET_MINUTES = env.int(
    "ALLHANDS_DEFAULT_DAILY_BUDGET_MINUTES", default=120
)
ALLHANDS_EDIT_WINDOW_DAYS = env.int("ALLHANDS_EDIT_WINDOW_DAYS", default=7)
# People the payout calculation writes per transaction (see rewards.services.payouts).
ALLHANDS_PAYOUT_BATCH = env.int("ALLHANDS_PAYOUT_BATCH", default=250)
# Dirty person-days the summary rollup recomputes per transaction (tasks.summaries).
ALLHANDS_ROLLUP_BATCH = env.int("ALLHANDS_ROLLUP_BATCH", default=5000)
ALLHANDS_SITE_URL = env.str("ALLHANDS_SITE_URL", default="http://127.0.0.1:8000")
ALLHANDS_IMPORT_MAX_ROWS = env.int("ALLHANDS_IMPORT_MAX_ROWS", default=20000)

# Security: headers and cookies (the strict transport settings only in production).
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # The load balancer's health probe may speak plain HTTP to the app.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Content-Security-Policy (django-csp), in every environment so that development shows what
# production would block. Pages load only the app's own files: no inline scripts or styles.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

# Sessions end after ALLHANDS_SESSION_IDLE_TIMEOUT seconds without a request and, whatever
# the activity, ALLHANDS_SESSION_ABSOLUTE_TIMEOUT seconds after login (config.middleware).
# The cookie outlives both, so that the app ends the session and can tell the user why.
ALLHANDS_SESSION_IDLE_TIMEOUT = env.int("ALLHANDS_SESSION_IDLE_TIMEOUT", default=60 * 60 * 8)
ALLHANDS_SESSION_ABSOLUTE_TIMEOUT = env.int(
    "ALLHANDS_SESSION_ABSOLUTE_TIMEOUT", default=60 * 60 * 24
)
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=ALLHANDS_SESSION_ABSOLUTE_TIMEOUT + 3600)

# Login protection (django-axes): five failures for one username from one address lock that
# combination out for 15 minutes; a successful login clears the count.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"  # the translated locked-out page
AXES_VERBOSE = False  # failures and lockouts are logged to "allhands.security" instead

# Audit log: take the client address from X-Forwarded-For only behind a trusted proxy.
ALLHANDS_TRUSTED_PROXY = env.bool("ALLHANDS_TRUSTED_PROXY", default=False)

# Two-factor authentication (django-otp, TOTP): optional for everybody, required for the
# roles listed here (e.g. "line_supervisor,finance,admin").
ALLHANDS_REQUIRE_2FA_FOR_ROLES = env.list("ALLHANDS_REQUIRE_2FA_FOR_ROLES", default=[])
OTP_TOTP_ISSUER = "Allhands"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "allhands.security": {"level": "INFO"},
        "axes": {"level": "WARNING"},  # "allhands.security" says it once, in our words
    },
}

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses locked-out logins
    "departments.backends.ProfileModelBackend",
]

ALLHANDS_CLIENT_PROTECTION_DAYS = env.int("ALLHANDS_CLIENT_PROTECTION_DAYS", default=90)
ALLHANDS_LOGGING_GRACE_DAYS = env.int("ALLHANDS_LOGGING_GRACE_DAYS", default=3)
ALLHANDS_REMINDER_AFTER_DAYS = env.int("ALLHANDS_REMINDER_AFTER_DAYS", default=2)

# REST API (api/): token or session authentication, the same permission rules and
# services as the pages, an OpenAPI schema with docs served from the app's own static files.
INSTALLED_APPS += [
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
]
REST_FRAMEWORK = {
    # Token first: an anonymous request gets 401 with ``WWW-Authenticate: Token``.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttles.WriteRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "token": env.str("ALLHANDS_API_TOKEN_RATE", default="10/min"),
        "writes": env.str("ALLHANDS_API_WRITE_RATE", default="120/min"),
    },
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "COERCE_DECIMAL_TO_STRING": True,
    # ``?format=`` is the export's own parameter (csv or xlsx), not a renderer switch.
    "URL_FORMAT_OVERRIDE": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Allhands API",
    "DESCRIPTION": (
        "All-staff marketing: time logs, approvals, tasks, leads, rewards and payouts. "
        "Authenticate with `Authorization: Token <key>` (POST /api/v1/auth/token/) or a "
        "session. Errors: 400 `{field: [messages]}` (`non_field_errors` for the rest), 401, "
        "403, 404; `Accept-Language` chooses the language of the messages."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.exceptions.add_error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "DepartmentKindEnum": "departments.models.Department.Kind",
        "CollectionKindEnum": "rewards.models.Collection.Kind",
    },
}
