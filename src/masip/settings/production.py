"""Production: every secret from the environment, HTTPS only. Refuses to start without them."""

import os

from django.core.exceptions import ImproperlyConfigured

from masip.core.keyring import Keyring, KeyringError
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
MASIP_AUDIT_KEYS = _required("MASIP_AUDIT_KEYS")
MASIP_INDEX_KEY = _required("MASIP_INDEX_KEY")
# Each keyring must parse, and none may share a key with another: data keys are retired after
# rotation, audit keys live as long as the rows they signed, the index key as long as the indexes.
try:
    _keyrings = {
        name: set(Keyring.parse(value, setting=name).keys.values())
        for name, value in (
            ("MASIP_KEYS", MASIP_KEYS),
            ("MASIP_AUDIT_KEYS", MASIP_AUDIT_KEYS),
            ("MASIP_INDEX_KEY", MASIP_INDEX_KEY),
        )
    }
except KeyringError as exc:
    raise ImproperlyConfigured(str(exc)) from exc
for _first, _second in (
    ("MASIP_KEYS", "MASIP_AUDIT_KEYS"),
    ("MASIP_KEYS", "MASIP_INDEX_KEY"),
    ("MASIP_AUDIT_KEYS", "MASIP_INDEX_KEY"),
):
    if _keyrings[_first] & _keyrings[_second]:
        raise ImproperlyConfigured(f"{_second} shares a key with {_first}: generate a separate key for each.")
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

# Evidence files live outside the code, on storage that is backed up with the database.
if os.environ.get("MASIP_EVIDENCE_DIR"):
    MASIP_EVIDENCE_DIR = os.environ["MASIP_EVIDENCE_DIR"]  # type: ignore[assignment]
if os.environ.get("MASIP_EVIDENCE_MAX_MB"):
    try:
        MASIP_EVIDENCE_MAX_BYTES = int(os.environ["MASIP_EVIDENCE_MAX_MB"]) * 1024 * 1024
    except ValueError as exc:
        raise ImproperlyConfigured("MASIP_EVIDENCE_MAX_MB must be a whole number of megabytes.") from exc
