"""The production settings refuse to start on missing, placeholder or loose values."""

from __future__ import annotations

import importlib
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from masip.core.keyring import generate_key_spec

GOOD = {
    "SECRET_KEY": "k" * 64,
    "MASIP_KEYS": generate_key_spec("prod1"),
    "MASIP_AUDIT_KEYS": generate_key_spec("audit1"),
    "MASIP_INDEX_KEY": generate_key_spec("index1"),
    "ALLOWED_HOSTS": "masip.example.org",
    "DATABASE_URL": "postgres://masip@db.example.org/masip",
}


def load(monkeypatch: pytest.MonkeyPatch, **overrides: str | None) -> object:
    for name, value in {**GOOD, **overrides}.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    sys.modules.pop("masip.settings.production", None)
    try:
        return importlib.import_module("masip.settings.production")
    finally:
        sys.modules.pop("masip.settings.production", None)


def test_loads_with_real_values(monkeypatch):
    settings = load(monkeypatch)
    assert settings.ALLOWED_HOSTS == ["masip.example.org"]  # type: ignore[attr-defined]
    assert settings.DEBUG is False  # type: ignore[attr-defined]


@pytest.mark.parametrize("missing", ["SECRET_KEY", "MASIP_KEYS", "ALLOWED_HOSTS", "DATABASE_URL"])
def test_refuses_to_start_without(monkeypatch, missing):
    with pytest.raises(ImproperlyConfigured, match=missing):
        load(monkeypatch, **{missing: None})


@pytest.mark.parametrize("hosts", ["*", "masip.example.org,*", ".example.org,*.example.org", " , "])
def test_refuses_wildcard_or_empty_hosts(monkeypatch, hosts):
    with pytest.raises(ImproperlyConfigured, match="ALLOWED_HOSTS"):
        load(monkeypatch, ALLOWED_HOSTS=hosts)


@pytest.mark.parametrize("key", ["short", "django-insecure-" + "x" * 60, "change-me" + "x" * 60])
def test_refuses_a_weak_or_placeholder_secret_key(monkeypatch, key):
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        load(monkeypatch, SECRET_KEY=key)


def test_refuses_a_malformed_keyring(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="MASIP_KEYS"):
        load(monkeypatch, MASIP_KEYS="not-a-keyring")
