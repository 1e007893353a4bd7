"""Keyed blind indexes: exact matching on encrypted identifiers without decrypting them.

An identifier (PNC id, NHS number) is stored encrypted with a random nonce, so equal values
differ in the database. Beside it sits HMAC-SHA256(MASIP_INDEX_KEY, kind + normalised value):
equal identifiers give equal indexes, and without the key the index cannot be reversed by
trying every possible NHS number (there are only 10^9 of them, so an unkeyed hash could be).

This module is imported by the production settings: it must not touch Django at import time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from functools import lru_cache

from masip.core.keyring import Keyring

_NOT_ALNUM = re.compile(r"[^0-9A-Z]")


@lru_cache(maxsize=4)
def _key(spec: str) -> bytes:
    # The same `id:key` format as MASIP_KEYS, so `manage.py generate_key` makes it; the first
    # key indexes. Changing it makes stored indexes unmatchable until they are recomputed.
    keyring = Keyring.parse(spec, setting="MASIP_INDEX_KEY")
    return keyring.keys[keyring.primary_id]


def normalise_pnc_id(value: str) -> str:
    """PNC ids are written with and without spaces, slashes and leading zeros in the serial:
    '2001/0012345A', '01/12345A' name the same record. Keep the two-digit year, the serial
    without leading zeros, and the check letter."""
    text = value.strip().upper()
    match = re.fullmatch(r"(\d{2}|\d{4})\s*/\s*0*(\d{1,7})\s*([A-Z])", text)
    if match:
        year, serial, letter = match.groups()
        return f"{year[-2:]}/{serial}{letter}"
    return _NOT_ALNUM.sub("", text)


def normalise_nhs_number(value: str) -> str:
    return re.sub(r"\D", "", value)


NORMALISERS = {"pnc_id": normalise_pnc_id, "nhs_number": normalise_nhs_number}


def keyed_digest(purpose: str, text: str) -> str:
    """The hex HMAC of `purpose:text` under MASIP_INDEX_KEY: equal inputs give equal digests,
    and without the key a digest cannot be tested against guesses."""
    from django.conf import settings

    key = _key(settings.MASIP_INDEX_KEY)
    return hmac.new(key, f"{purpose}:{text}".encode(), hashlib.sha256).hexdigest()


def blind_index(kind: str, value: str) -> str:
    """The hex HMAC of `kind`'s normalised `value`, or '' for a blank value (blank never matches)."""
    normalised = NORMALISERS[kind](value or "")
    if not normalised:
        return ""
    return keyed_digest(kind, normalised)
