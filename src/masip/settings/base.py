"""Settings shared by every environment. Secrets and hosts come from the environment.

`dev` (the demo), `test` and `production` build on this module; only `production` is fit to
hold real case data, and it refuses to start without real secrets.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

SRC_DIR = Path(__file__).resolve().parent.parent.parent
BASE_DIR = SRC_DIR.parent
VAR_DIR = BASE_DIR / "var"

DEBUG = False
ALLOWED_HOSTS: list[str] = []

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "django_tasks",
    "django_tasks_db",
    "masip.core",
    "masip.accounts",
    "masip.access",
    "masip.audit",
    "masip.people",
    "masip.referrals",
    "masip.cases",
    "masip.work",
    "masip.evidence",
    "masip.risk",
    "masip.timeline",
    "masip.interventions",
    "masip.panel",
    "masip.reports",
    "masip.training",
    "masip.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "masip.core.middleware.RejectNulBytesMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Before IdleTimeoutMiddleware, which tells the user why they were signed out.
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "masip.accounts.middleware.IdleTimeoutMiddleware",
    "masip.accounts.middleware.CurrentMembershipMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "masip.urls"
WSGI_APPLICATION = "masip.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [SRC_DIR / "masip" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "masip.accounts.context_processors.membership",
                "masip.core.context_processors.navigation",
                "masip.core.context_processors.demo",
            ],
        },
    },
]


def database_from_url(url: str) -> dict[str, object]:
    """One database from DATABASE_URL; SQLite gets WAL and IMMEDIATE write transactions.

    IMMEDIATE transactions take the write lock at BEGIN, so two writers queue instead of one
    failing half-way with "database is locked" (the audit chain writes in every transaction).
    """
    config: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["CONN_MAX_AGE"] = 0
        config["CONN_HEALTH_CHECKS"] = False
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        }
    return config


AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Sessions: 15 minutes idle (IdleTimeoutMiddleware), 10 hours at most, gone with the browser.
MASIP_IDLE_TIMEOUT = timedelta(minutes=15)
# How often the time of a session's last request is written (each write is a database UPDATE).
MASIP_IDLE_RESOLUTION = timedelta(minutes=1)
SESSION_COOKIE_AGE = 10 * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "masip.core.views.csrf_failure"

# How many reverse proxies in front of masip append to X-Forwarded-For; the audit log takes
# the client address from there only when this is set (production: MASIP_TRUSTED_PROXY_COUNT).
MASIP_TRUSTED_PROXY_COUNT = 0

# Lockout: 5 failures for one username within 15 minutes lock it for 15 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username"]
# A right password alone must not wipe the count of wrong second-factor codes (someone who has
# the password could then guess codes forever); a complete sign-in clears it (accounts.views).
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_CALLABLE = "masip.accounts.views.locked_out"
AXES_USERNAME_FORM_FIELD = "username"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_VERBOSE = False
# Masked in the POST data axes stores with each failure (a TOTP code is a secret too) and in its
# log lines. Setting this replaces axes' default, which masks username and ip_address in those
# log lines, so the default is kept.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "password", "code"]

OTP_TOTP_ISSUER = "masip"
OTP_TOTP_THROTTLE_FACTOR = 1

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Security headers. Nothing loads from another origin; no inline script or style.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "manifest-src": [SELF],
    },
}
PERMISSIONS_POLICY: dict[str, list[str]] = {
    "accelerometer": [],
    "camera": [],
    "geolocation": [],
    "gyroscope": [],
    "magnetometer": [],
    "microphone": [],
    "payment": [],
    "usb": [],
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "masip.api.authentication.SystemTokenAuthentication",
        "masip.api.authentication.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["masip.api.permissions.DenyAll"],
    "DEFAULT_PARSER_CLASSES": [
        "masip.api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "masip.api.exceptions.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=90),
    "AUTO_REFRESH": False,
    "TOKEN_LIMIT_PER_USER": 5,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "masip API",
    "DESCRIPTION": (
        "Case management for multi-agency stalking intervention units. Every endpoint is "
        "scoped to what the caller's role and case-team membership allow."
    ),
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "COMPONENT_SPLIT_REQUEST": True,
    # Name enums after the domain, so a later "status" of another record cannot collide.
    "ENUM_NAME_OVERRIDES": {
        "CaseStatusEnum": "masip.cases.models.CaseStatus",
        "ReferralStatusEnum": "masip.referrals.models.ReferralStatus",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"masip": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}

EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# Background work (file imports) goes through the django-tasks API. The database backend keeps
# the queue in masip's own database; `manage.py db_worker` runs it (docs/deployment.md).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# Referral file imports (docs/referral-import.md): the largest file accepted, and how long an
# uploaded file is kept when nobody confirms or cancels its import (it is deleted as soon as
# its import has finished).
MASIP_IMPORT_MAX_BYTES = 50 * 1024 * 1024
MASIP_IMPORT_RETENTION = timedelta(days=2)
# Evidence files (docs/security-model.md): kept encrypted under this folder, named by random
# id; the largest file accepted as one exhibit.
MASIP_EVIDENCE_DIR = VAR_DIR / "evidence"
MASIP_EVIDENCE_MAX_BYTES = 100 * 1024 * 1024
# Risk instrument definition files (docs/risk-instruments.md): the largest file accepted.
MASIP_INSTRUMENT_MAX_BYTES = 1024 * 1024
DEFAULT_FROM_EMAIL = "masip <no-reply@masip.invalid>"

# axes.W006 asks to lock by IP address as well. A police station or hospital puts hundreds of
# staff behind one address, so five mistakes among them would lock them all out; masip locks
# the username instead, wherever the attempts come from.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
