"""The encryption keyring: AES-256-GCM keys from MASIP_KEYS, each with an id.

MASIP_KEYS holds comma-separated `id:key` pairs, the key as 32 bytes in URL-safe base64.
The first key encrypts new values; every key listed can decrypt. Rotation: put a new key
first, run `manage.py rotate_keys`, and remove the old key only when it reports nothing left.

A ciphertext reads `enc1:<key id>:<base64(nonce || ciphertext+tag)>`. The additional
authenticated data binds it to its column, so a value moved to another column fails to decrypt.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "enc1"
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_NONCE_BYTES = 12


class KeyringError(ValueError):
    """MASIP_KEYS is malformed; the message says how to fix it."""


class DecryptionError(ValueError):
    """A stored value could not be decrypted: unknown key id, or tampered or moved ciphertext."""


def generate_key_spec(key_id: str) -> str:
    """A fresh `id:key` pair for MASIP_KEYS."""
    if not _KEY_ID.match(key_id):
        raise KeyringError(f"Key id {key_id!r} must be 1-32 letters, digits, '-' or '_'.")
    return f"{key_id}:{base64.urlsafe_b64encode(os.urandom(32)).decode()}"


@dataclass(frozen=True)
class Keyring:
    primary_id: str
    keys: dict[str, bytes]

    @classmethod
    def parse(cls, spec: str, *, setting: str = "MASIP_KEYS") -> Keyring:
        """Read `id:key` pairs; `setting` names the variable in error messages (MASIP_AUDIT_KEYS reuses this)."""
        keys: dict[str, bytes] = {}
        order: list[str] = []
        for raw in spec.split(","):
            entry = raw.strip()
            if not entry:
                continue
            key_id, sep, encoded = entry.partition(":")
            if not sep or not _KEY_ID.match(key_id):
                raise KeyringError(
                    f"{setting} must be comma-separated 'id:key' pairs; generate one with "
                    "`manage.py generate_key --id NAME`."
                )
            try:
                key = base64.urlsafe_b64decode(encoded.encode())
            except (binascii.Error, ValueError) as exc:
                raise KeyringError(f"Key {key_id!r} in {setting} is not valid base64.") from exc
            if len(key) != 32:
                raise KeyringError(f"Key {key_id!r} in {setting} must be 32 bytes, not {len(key)}.")
            if key_id in keys:
                raise KeyringError(f"Key id {key_id!r} appears twice in {setting}.")
            keys[key_id] = key
            order.append(key_id)
        if not order:
            raise KeyringError(f"{setting} is empty; generate a key with `manage.py generate_key --id NAME`.")
        return cls(primary_id=order[0], keys=keys)

    def encrypt(self, plaintext: str, *, context: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = AESGCM(self.keys[self.primary_id]).encrypt(nonce, plaintext.encode(), context.encode())
        return f"{PREFIX}:{self.primary_id}:{base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, token: str, *, context: str) -> str:
        key_id = key_id_of(token)
        if key_id is None:
            raise DecryptionError("Value is not in masip's encrypted format.")
        key = self.keys.get(key_id)
        if key is None:
            raise DecryptionError(
                f"Value is encrypted with key {key_id!r}, which is not in MASIP_KEYS: "
                "restore that key (rotation keeps old keys until rotate_keys has finished)."
            )
        try:
            blob = base64.b64decode(token.split(":", 2)[2], validate=True)
            plain = AESGCM(key).decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], context.encode())
        except (binascii.Error, ValueError, InvalidTag) as exc:
            raise DecryptionError("Encrypted value failed its integrity check (tampered or moved).") from exc
        return plain.decode()


def key_id_of(token: str) -> str | None:
    """The key id a stored value was encrypted with, or None when it is not a ciphertext."""
    parts = token.split(":", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        return None
    return parts[1]


@lru_cache(maxsize=4)
def _parse_cached(spec: str) -> Keyring:
    return Keyring.parse(spec)


def active_keyring() -> Keyring:
    """The keyring configured in settings.MASIP_KEYS (parsed once per distinct value)."""
    from django.conf import settings

    return _parse_cached(settings.MASIP_KEYS)
