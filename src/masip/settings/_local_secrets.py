"""Secrets for the demo and the tests: generated into var/ once, with a loud warning.

Never imported by production settings.
"""

import secrets
import sys
from pathlib import Path

from masip.core.keyring import generate_key_spec

_WARNING = (
    "\n*** masip: generated {what} into {path}.\n"
    "*** This is for the demo and tests only: never put real case data under these secrets.\n"
)


def local_secret(path: Path, what: str, make: "object") -> str:
    """Return the secret stored at `path`, generating it (mode 0600) when it is absent."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        value = make() if callable(make) else str(make)
        path.touch(mode=0o600)
        path.write_text(value + "\n")
        sys.stderr.write(_WARNING.format(what=what, path=path))
    return path.read_text().strip()


def local_secret_key(var_dir: Path) -> str:
    return local_secret(var_dir / "secret-key.dev", "a Django SECRET_KEY", lambda: secrets.token_urlsafe(50))


def local_keyring(var_dir: Path) -> str:
    return local_secret(var_dir / "keys.dev", "encryption keys (MASIP_KEYS)", lambda: generate_key_spec("dev1"))


def local_audit_keyring(var_dir: Path) -> str:
    return local_secret(
        var_dir / "audit-keys.dev", "audit signing keys (MASIP_AUDIT_KEYS)", lambda: generate_key_spec("audit-dev1")
    )


def local_index_key(var_dir: Path) -> str:
    return local_secret(
        var_dir / "index-keys.dev",
        "the blind-index key (MASIP_INDEX_KEY)",
        lambda: generate_key_spec("index-dev1"),
    )
