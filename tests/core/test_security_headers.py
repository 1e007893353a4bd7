"""Security headers on every kind of response, and HTTPS-only behaviour under production settings."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from types import ModuleType

import pytest
from django.test import Client, override_settings

from masip.accounts.models import Role
from masip.core.keyring import generate_key_spec
from tests.factories import member

pytestmark = pytest.mark.django_db


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        if words := part.split():
            directives[words[0]] = words[1:]
    return directives


@pytest.fixture
def responses(client, client_for):
    """A page for an anonymous visitor, a page for a signed-in user, an error page, and JSON."""
    return {
        "anonymous 404": client.get("/no/such/page/"),
        "signed-in home": client_for(member(Role.UNIT_MANAGER)).get("/"),
        "health check": client.get("/healthz"),
    }


def test_every_response_carries_the_security_headers(responses):
    assert responses["signed-in home"].status_code == 200
    for name, response in responses.items():
        headers = response.headers
        assert headers["X-Frame-Options"] == "DENY", name
        assert headers["X-Content-Type-Options"] == "nosniff", name
        assert headers["Referrer-Policy"] == "same-origin", name
        assert headers["Cross-Origin-Opener-Policy"] == "same-origin", name
        permissions = headers["Permissions-Policy"]
        for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
            assert f"{feature}=()" in permissions, (name, feature)


def test_content_security_policy_allows_nothing_inline_and_nothing_remote(responses):
    for name, response in responses.items():
        header = response.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in header, name
        assert "unsafe-eval" not in header, name
        assert "unsafe-hashes" not in header, name
        assert "http" not in header, f"{name}: only this origin may supply content"
        assert "*" not in header, f"{name}: no wildcard sources"
        directives = csp_directives(header)
        assert directives["default-src"] == ["'none'"]
        assert directives["script-src"] == ["'self'"]
        assert directives["style-src"] == ["'self'"]
        assert directives["font-src"] == ["'self'"]
        assert directives["frame-ancestors"] == ["'none'"]
        assert directives["form-action"] == ["'self'"]
        assert directives["base-uri"] == ["'none'"]
        assert "report-only" not in header.lower()
    assert "Content-Security-Policy-Report-Only" not in responses["anonymous 404"].headers


@pytest.fixture
def production(monkeypatch) -> Iterator[ModuleType]:
    """masip.settings.production as it loads with real-looking secrets in the environment."""
    monkeypatch.setenv("SECRET_KEY", "p" * 64)
    monkeypatch.setenv("MASIP_KEYS", generate_key_spec("prod-test"))
    monkeypatch.setenv("MASIP_AUDIT_KEYS", generate_key_spec("prod-audit-test"))
    monkeypatch.setenv("MASIP_INDEX_KEY", generate_key_spec("index1"))
    monkeypatch.setenv("ALLOWED_HOSTS", "masip.example.org")
    monkeypatch.setenv("DATABASE_URL", "sqlite:///unused.sqlite3")
    monkeypatch.delenv("MASIP_SSL_REDIRECT", raising=False)
    sys.modules.pop("masip.settings.production", None)
    module = importlib.import_module("masip.settings.production")
    yield module
    sys.modules.pop("masip.settings.production", None)


def production_https_settings(production: ModuleType) -> override_settings:
    names = [name for name in dir(production) if name.startswith(("SECURE_", "SESSION_COOKIE_", "CSRF_COOKIE_"))]
    return override_settings(**{name: getattr(production, name) for name in names})


def test_production_sends_hsts_over_https(production):
    assert production.SECURE_HSTS_SECONDS >= 31536000, "at least a year"
    with production_https_settings(production):
        response = Client().get("/no/such/page/", secure=True)
    assert response.status_code == 404
    hsts = response.headers["Strict-Transport-Security"]
    assert hsts == f"max-age={production.SECURE_HSTS_SECONDS}; includeSubDomains; preload"


def test_production_redirects_plain_http_to_https(production):
    with production_https_settings(production):
        response = Client().get("/healthz")
    assert response.status_code == 301
    assert response.headers["Location"] == "https://testserver/healthz"
    assert "Strict-Transport-Security" not in response.headers, "HSTS is only meaningful over HTTPS"


def test_production_cookies_are_secure_host_only_and_http_only(production, client_for):
    user = member(Role.CLINICIAN)
    with production_https_settings(production):
        client = client_for(user)
        response = client.get("/", secure=True)
    assert response.status_code == 200
    csrf = response.cookies[production.CSRF_COOKIE_NAME]
    assert production.CSRF_COOKIE_NAME.startswith("__Host-")
    assert csrf["secure"]
    assert csrf["httponly"]
    assert csrf["path"] == "/"
    assert csrf["samesite"] == "Lax"
