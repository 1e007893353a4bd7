"""WSGI entry point for gunicorn: `gunicorn masip.wsgi` with DJANGO_SETTINGS_MODULE set."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "masip.settings.production")
application = get_wsgi_application()
