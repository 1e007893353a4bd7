"""Production: every secret from the environment, HTTPS only. Refuses to start without them."""

import os

from django.core.exceptions import ImproperlyConfigured

from masip.core.keyring import Keyring
from masip.settings.base import *  # noqa: F403
from masip.settings.base import database_from_url


def _required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(
            f"{name} is not set. masip will not start in production without it: "
            "see docs/deployment.md for how to generate and supply it."
        )
    return value


DEBUG = False
MASIP_DEMO = False
SECRET_KEY = _required("SECRET_KEY")
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith(("django-insecure", "test-only", "change-me")):
    raise ImproperlyConfigured("SECRET_KEY is too short or a placeholder: generate at least 50 random characters.")
MASIP_KEYS = _required("MASIP_KEYS")
Keyring.parse(MASIP_KEYS)  # fails loudly on a malformed keyring
MASIP_AUDIT_KEYS = _required("MASIP_AUDIT_KEYS")
_audit_keys = Keyring.parse(MASIP_AUDIT_KEYS, setting="MASIP_AUDIT_KEYS").keys.values()  # fails loudly too
if set(_audit_keys) & set(Keyring.parse(MASIP_KEYS).keys.values()):
    # Audit keys are kept as long as the rows they signed, data keys are retired: never one key for both.
    raise ImproperlyConfigured("MASIP_AUDIT_KEYS shares a key with MASIP_KEYS: generate separate audit keys.")
MASIP_INDEX_KEY = _required("MASIP_INDEX_KEY")
try:
    from masip.people.blind_index import parse_index_key

    parse_index_key(MASIP_INDEX_KEY)  # fails loudly on a malformed key
except ValueError as exc:
    raise ImproperlyConfigured(str(exc)) from exc
ALLOWED_HOSTS = [host.strip() for host in _required("ALLOWED_HOSTS").split(",") if host.strip()]
if not ALLOWED_HOSTS or any("*" in host for host in ALLOWED_HOSTS):
    # Links in invitations and alerts are built from the Host header, which only a fixed list
    # of names keeps honest.
    raise ImproperlyConfigured("ALLOWED_HOSTS must name masip's host names exactly (no '*' wildcards).")
DATABASES = {"default": database_from_url(_required("DATABASE_URL"))}
CSRF_TRUSTED_ORIGINS = [f"https://{host}" for host in ALLOWED_HOSTS]

SECURE_SSL_REDIRECT = os.environ.get("MASIP_SSL_REDIRECT", "true").lower() != "false"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
try:
    MASIP_TRUSTED_PROXY_COUNT = int(os.environ.get("MASIP_TRUSTED_PROXY_COUNT", "1"))
except ValueError as exc:
    raise ImproperlyConfigured(
        "MASIP_TRUSTED_PROXY_COUNT must be a whole number (0 when masip faces clients directly)."
    ) from exc
SECURE_HSTS_SECONDS = 63072000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-masip-session"
CSRF_COOKIE_NAME = "__Host-masip-csrf"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
EMAIL_BACKEND = os.environ.get("MASIP_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
