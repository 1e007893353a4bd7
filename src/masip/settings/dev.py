"""The demo on one machine: SQLite under var/, generated secrets, DEBUG on, loopback only."""

import os

from masip.settings._local_secrets import local_audit_keyring, local_index_key, local_keyring, local_secret_key
from masip.settings.base import *  # noqa: F403
from masip.settings.base import VAR_DIR, database_from_url

DEBUG = True
MASIP_DEMO = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
SECRET_KEY = os.environ.get("SECRET_KEY") or local_secret_key(VAR_DIR)
MASIP_KEYS = os.environ.get("MASIP_KEYS") or local_keyring(VAR_DIR)
MASIP_AUDIT_KEYS = os.environ.get("MASIP_AUDIT_KEYS") or local_audit_keyring(VAR_DIR)
MASIP_INDEX_KEY = os.environ.get("MASIP_INDEX_KEY") or local_index_key(VAR_DIR)
DATABASES = {"default": database_from_url(os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'masip.sqlite3'}"))}
# Static files straight from the source folders; nothing is collected outside production.
STATIC_ROOT = None  # type: ignore[assignment]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
