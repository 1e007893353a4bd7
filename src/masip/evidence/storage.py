"""Evidence files at rest: AES-256-GCM with the MASIP_KEYS keyring, in chunks, on disk.

A blob is named by a random id (never the uploaded name) under settings.MASIP_EVIDENCE_DIR:

    b"MASIPEV1" | key id length (1 byte) | key id | chunks...
    chunk: length of sealed bytes (4 bytes, big-endian) | nonce (12) | ciphertext + tag

Each chunk's additional data binds it to the blob id, its position and whether it is the last,
so chunks cannot be reordered, swapped between files or cut off without failing to decrypt.
The key id is written in the header and kept on the evidence row; every key listed in
MASIP_KEYS can decrypt, so a rotated-out key must stay listed while blobs name it.

Plaintext is never written to disk: a blob is written encrypted to `<id>.part`, flushed to
disk, then renamed to `<id>`. Key rotation writes the blob again under the primary key as
`<id>.rekey` (by way of `<id>.rekey.part`), checks it, and renames it over `<id>`: at every
moment `<id>` is a whole file under a key that MASIP_KEYS still holds.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

from masip.core.keyring import DecryptionError, Keyring, active_keyring

MAGIC = b"MASIPEV1"
CHUNK_BYTES = 1024 * 1024
_NONCE = 12
_TAG = 16
# A blob re-encrypted under a new key is written here first, then renamed over the blob.
REKEY_SUFFIX = ".rekey"


class BlobMissing(DecryptionError):
    """The stored file is not where its evidence row says."""


def evidence_dir() -> Path:
    return Path(settings.MASIP_EVIDENCE_DIR)


def new_blob_id() -> str:
    return secrets.token_hex(16)


def _path(blob_id: str) -> Path:
    if len(blob_id) != 32 or not all(ch in "0123456789abcdef" for ch in blob_id):
        raise ValueError("Not an evidence blob id.")
    return evidence_dir() / blob_id


def _aad(blob_id: str, index: int, last: bool) -> bytes:
    return f"masip.evidence:{blob_id}:{index}:{int(last)}".encode()


def blob_write(blob_id: str, data: bytes, *, keyring: Keyring | None = None) -> str:
    """Encrypt `data` to the blob `blob_id`; returns the id of the key used."""
    chunks = (data[start : start + CHUNK_BYTES] for start in range(0, len(data), CHUNK_BYTES))
    return _seal(blob_id, chunks, final=_path(blob_id), suffix=".part", keyring=keyring)


def blob_rewrite(blob_id: str, chunks: Iterable[bytes], *, keyring: Keyring | None = None) -> tuple[str, Path]:
    """Encrypt `chunks` under the primary key to a new file beside the blob, `<id>.rekey`, and
    return (key id, its path). The blob itself is untouched: `blob_replace` swaps them."""
    path = _path(blob_id).with_name(blob_id + REKEY_SUFFIX)
    # Left by a run that stopped midway; the blob it was to replace is still whole.
    path.unlink(missing_ok=True)
    return _seal(blob_id, chunks, final=path, suffix=".part", keyring=keyring), path


def blob_replace(blob_id: str, rewritten: Path) -> None:
    """Put a file written by `blob_rewrite` in the blob's place, in one atomic rename."""
    final = _path(blob_id)
    if rewritten != final.with_name(blob_id + REKEY_SUFFIX):
        raise ValueError("Not a rewrite of this blob.")
    os.replace(rewritten, final)
    _sync_folder(final.parent)


def _sync_folder(folder: Path) -> None:
    # The rename is only durable once the folder's entry is on disk.
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _sized(chunks: Iterable[bytes]) -> Iterator[tuple[bytes, bool]]:
    """`chunks` cut to CHUNK_BYTES each, with whether each is the last (one empty chunk if none)."""
    pending = b""
    held: bytes | None = None
    for piece in chunks:
        pending += piece
        while len(pending) >= CHUNK_BYTES:
            if held is not None:
                yield held, False
            held, pending = pending[:CHUNK_BYTES], pending[CHUNK_BYTES:]
    if pending or held is None:
        if held is not None:
            yield held, False
        yield pending, True
    else:
        yield held, True


def _seal(blob_id: str, chunks: Iterable[bytes], *, final: Path, suffix: str, keyring: Keyring | None) -> str:
    ring = keyring or active_keyring()
    key_id = ring.primary_id
    cipher = AESGCM(ring.keys[key_id])
    final.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = final.with_name(final.name + suffix)
    try:
        with open(partial, "xb") as out:
            out.write(MAGIC + bytes([len(key_id)]) + key_id.encode())
            for index, (chunk, last) in enumerate(_sized(chunks)):
                nonce = os.urandom(_NONCE)
                sealed = cipher.encrypt(nonce, chunk, _aad(blob_id, index, last))
                out.write((len(sealed)).to_bytes(4, "big") + nonce + sealed)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(partial, 0o600)
        os.replace(partial, final)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return key_id


def blob_delete(blob_id: str) -> None:
    _path(blob_id).unlink(missing_ok=True)


def blob_exists(blob_id: str) -> bool:
    return _path(blob_id).is_file()


def blob_key_id(blob_id: str) -> str:
    """The id of the key the blob was encrypted with, read from its header."""
    try:
        with open(_path(blob_id), "rb") as stored:
            return _read_header(stored)
    except FileNotFoundError:
        raise BlobMissing("The stored file is missing.") from None


def _read_header(stored: object) -> str:
    read = stored.read  # type: ignore[attr-defined]
    if read(len(MAGIC)) != MAGIC:
        raise DecryptionError("The stored file is not in masip's evidence format.")
    length = read(1)
    if len(length) != 1:
        raise DecryptionError("The stored file is cut short.")
    key_id_bytes = read(length[0])
    try:
        return key_id_bytes.decode("ascii")
    except UnicodeDecodeError:
        raise DecryptionError("The stored file's key id is damaged.") from None


def blob_chunks(blob_id: str, *, keyring: Keyring | None = None) -> Iterator[bytes]:
    """The plaintext of a blob, chunk by chunk; DecryptionError (or BlobMissing) when it is
    missing, damaged, cut short, extended, or encrypted with a key no longer in MASIP_KEYS."""
    return blob_chunks_at(_path(blob_id), blob_id, keyring=keyring)


def blob_chunks_at(path: Path, blob_id: str, *, keyring: Keyring | None = None) -> Iterator[bytes]:
    """The plaintext of the blob `blob_id` stored at `path` (a rewrite not yet swapped in)."""
    ring = keyring or active_keyring()
    try:
        stored = open(path, "rb")  # noqa: SIM115  # closed in finally; a generator
    except FileNotFoundError:
        raise BlobMissing("The stored file is missing.") from None
    try:
        key_id = _read_header(stored)
        key = ring.keys.get(key_id)
        if key is None:
            raise DecryptionError(
                f"The stored file is encrypted with key {key_id!r}, which is not in MASIP_KEYS: restore that key."
            )
        cipher = AESGCM(key)
        index = 0
        size_bytes = stored.read(4)
        while True:
            if len(size_bytes) != 4:
                raise DecryptionError("The stored file is cut short.")
            size = int.from_bytes(size_bytes, "big")
            if size < _TAG or size > CHUNK_BYTES + _TAG:
                raise DecryptionError("The stored file is damaged.")
            nonce = stored.read(_NONCE)
            sealed = stored.read(size)
            if len(nonce) != _NONCE or len(sealed) != size:
                raise DecryptionError("The stored file is cut short.")
            size_bytes = stored.read(4)
            last = size_bytes == b""
            try:
                yield cipher.decrypt(nonce, sealed, _aad(blob_id, index, last))
            except InvalidTag:
                raise DecryptionError("The stored file failed its integrity check (changed or damaged).") from None
            if last:
                return
            index += 1
    finally:
        stored.close()


def blob_orphans(known: set[str]) -> list[str]:
    """Blob files (and abandoned partial writes) under the evidence folder that no row names."""
    folder = evidence_dir()
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_file() and p.name.removesuffix(".part") not in known)
