"""MASIP_INDEX_KEY: production refuses to start without a well-formed blind-index key."""

from __future__ import annotations

import importlib
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from masip.core.keyring import generate_key_spec

GOOD_KEY = "aW5kZXgta2V5LWZvci10aGUtcHJvZHVjdGlvbi10ZXM="


def load_production(monkeypatch: pytest.MonkeyPatch, index_key: str | None) -> object:
    environment = {
        "SECRET_KEY": "k" * 64,
        "MASIP_KEYS": generate_key_spec("prod1"),
        "MASIP_AUDIT_KEYS": generate_key_spec("audit1"),
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
        ("not base64!", "MASIP_INDEX_KEY is not valid base64"),
        ("c2hvcnQ=", "MASIP_INDEX_KEY must be 32 bytes"),
    ],
)
def test_production_refuses_a_missing_or_malformed_index_key(monkeypatch, value, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        load_production(monkeypatch, value)
