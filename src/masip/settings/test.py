"""The test suite: SQLite by default, PostgreSQL when DATABASE_URL names one; fast hashing."""

import os
import tempfile
from pathlib import Path

from masip.settings._local_secrets import local_audit_keyring, local_index_key, local_keyring
from masip.settings.base import *  # noqa: F403
from masip.settings.base import VAR_DIR, database_from_url

DEBUG = False
MASIP_DEMO = True
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
SECRET_KEY = "test-only-secret-key-not-for-any-real-deployment"  # noqa: S105
MASIP_KEYS = os.environ.get("MASIP_KEYS") or local_keyring(VAR_DIR)
MASIP_AUDIT_KEYS = os.environ.get("MASIP_AUDIT_KEYS") or local_audit_keyring(VAR_DIR)
MASIP_INDEX_KEY = os.environ.get("MASIP_INDEX_KEY") or local_index_key(VAR_DIR)
DATABASES = {"default": database_from_url(os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'test.sqlite3'}"))}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Static files straight from the source folders; nothing is collected outside production.
STATIC_ROOT = None  # type: ignore[assignment]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Live-server threads must not keep connections open, or the test database cannot be dropped.
DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
# Tasks run at once, inside the request that enqueues them; one test drives the real worker.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}
# Evidence blobs of the test runs go to the system's temporary folder, not var/.
MASIP_EVIDENCE_DIR = Path(tempfile.gettempdir()) / "masip-test-evidence"
