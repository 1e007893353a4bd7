"""MASIP_AUDIT_KEYS: production refuses to start without a well-formed audit keyring of its own."""

from __future__ import annotations

import importlib
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from masip.core.keyring import generate_key_spec

DATA_KEYS = generate_key_spec("prod1")
ENVIRONMENT = {
    "SECRET_KEY": "k" * 64,
    "MASIP_KEYS": DATA_KEYS,
    "MASIP_INDEX_KEY": generate_key_spec("index1"),
    "ALLOWED_HOSTS": "masip.example.org",
    "DATABASE_URL": "postgres://masip@db.example.org/masip",
}


def load_production(monkeypatch: pytest.MonkeyPatch, audit_keys: str | None) -> object:
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    if audit_keys is None:
        monkeypatch.delenv("MASIP_AUDIT_KEYS", raising=False)
    else:
        monkeypatch.setenv("MASIP_AUDIT_KEYS", audit_keys)
    sys.modules.pop("masip.settings.production", None)
    try:
        return importlib.import_module("masip.settings.production")
    finally:
        sys.modules.pop("masip.settings.production", None)


def test_production_reads_the_audit_keyring(monkeypatch):
    spec = f"{generate_key_spec('audit2')},{generate_key_spec('audit1')}"
    configured = load_production(monkeypatch, spec).MASIP_AUDIT_KEYS  # type: ignore[attr-defined]
    assert configured == spec


@pytest.mark.parametrize("value", [None, "", "  "])
def test_production_refuses_to_start_without_audit_keys(monkeypatch, value):
    with pytest.raises(ImproperlyConfigured, match="MASIP_AUDIT_KEYS is not set"):
        load_production(monkeypatch, value)


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("not-a-keyring", "MASIP_AUDIT_KEYS must be comma-separated 'id:key' pairs"),
        ("audit1:c2hvcnQ=", "Key 'audit1' in MASIP_AUDIT_KEYS must be 32 bytes"),
    ],
)
def test_production_names_the_audit_keyring_when_it_is_malformed(monkeypatch, spec, says):
    with pytest.raises(ImproperlyConfigured, match=says):
        load_production(monkeypatch, spec)


def test_production_refuses_a_data_key_reused_as_an_audit_key(monkeypatch):
    reused = "audit1:" + DATA_KEYS.split(":", 1)[1]
    with pytest.raises(ImproperlyConfigured, match="MASIP_AUDIT_KEYS shares a key with MASIP_KEYS"):
        load_production(monkeypatch, f"{generate_key_spec('audit2')},{reused}")
