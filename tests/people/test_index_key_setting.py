"""MASIP_INDEX_KEY: production refuses to start without a well-formed blind-index key."""

from __future__ import annotations

import importlib
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from masip.core.keyring import generate_key_spec

GOOD_KEY = generate_key_spec("index1")


def load_production(monkeypatch: pytest.MonkeyPatch, index_key: str | None, audit_keys: str = "") -> object:
    environment = {
        "SECRET_KEY": "k" * 64,
        "MASIP_KEYS": generate_key_spec("prod1"),
        "MASIP_AUDIT_KEYS": audit_keys or generate_key_spec("audit1"),
        "ALLOWED_HOSTS": "masip.example.org",
        "DATABASE_URL": "postgres://masip@db.example.org/masip",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    if index_key is None:
        monkeypatch.delenv("MASIP_INDEX_KEY", raising=False)
    else:
        monkeypatch.setenv("MASIP_INDEX_KEY", index_key)
    sys.modules.pop("masip.settings.production", None)
    try:
        return importlib.import_module("masip.settings.production")
    finally:
        sys.modules.pop("masip.settings.production", None)


def test_production_reads_the_index_key(monkeypatch):
    assert load_production(monkeypatch, GOOD_KEY).MASIP_INDEX_KEY == GOOD_KEY  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "MASIP_INDEX_KEY is not set"),
        ("no-id-here", "MASIP_INDEX_KEY must be comma-separated 'id:key' pairs"),
        ("i1:not base64!", "in MASIP_INDEX_KEY is not valid base64"),
        ("i1:c2hvcnQ=", "in MASIP_INDEX_KEY must be 32 bytes"),
    ],
)
def test_production_refuses_a_missing_or_malformed_index_key(monkeypatch, value, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        load_production(monkeypatch, value)


def test_production_refuses_an_index_key_shared_with_another_keyring(monkeypatch):
    shared = generate_key_spec("shared")
    with pytest.raises(ImproperlyConfigured, match="MASIP_INDEX_KEY shares a key with MASIP_AUDIT_KEYS"):
        load_production(monkeypatch, shared, audit_keys=shared)
