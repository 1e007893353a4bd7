"""Key rotation of evidence files: each file not under the primary key of MASIP_KEYS is
written again under it, checked against the SHA-256 taken at upload, and swapped in.

Registered with `masip.core.rotation` (see EvidenceConfig.ready), so `manage.py rotate_keys`
moves the files after the database values, and counts the files left on old keys.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from django.db import transaction

from masip.core.keyring import DecryptionError, Keyring
from masip.core.rotation import EncryptedFiles, FileRotation
from masip.evidence import storage
from masip.evidence.models import EvidenceItem

LABEL = "evidence.evidenceitem (files)"


def files_left_on_old_keys(keyring: Keyring) -> int:
    """Exhibits whose row names a key other than the primary one.

    The row is updated only after its file has been swapped, so a run stopped between the two
    counts a file as still on its old key: the count errs towards keeping a key."""
    return EvidenceItem.unscoped.exclude(key_id=keyring.primary_id).count()


def _checked(chunks: Iterable[bytes], item: EvidenceItem, digest: hashlib._Hash) -> Iterator[bytes]:
    size = 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
        yield chunk
    if digest.hexdigest() != item.sha256 or size != item.size:
        raise DecryptionError("it no longer matches the SHA-256 taken when it was uploaded")


def _matches(item: EvidenceItem, keyring: Keyring) -> bool:
    digest = hashlib.sha256()
    try:
        for _ in _checked(storage.blob_chunks(item.blob_id, keyring=keyring), item, digest):
            pass
    except DecryptionError:
        return False
    return True


def _rotate_one(item: EvidenceItem, keyring: Keyring, *, dry_run: bool) -> bool:
    """Move one file onto the primary key; True when it was moved (or, in a dry run, would be).

    The old file stays in place until the new one has been written, flushed and read back
    to the recorded SHA-256; then one rename swaps them and the row's key id follows in the
    same transaction. A stop at any point leaves `<id>` whole and readable: before the rename
    it is the old file (its key still listed), after it the new one (the header names its key).
    """
    header_key = storage.blob_key_id(item.blob_id)
    if header_key == keyring.primary_id:
        # Swapped by a run that stopped before its row was updated: check it, then catch up.
        if not _matches(item, keyring):
            raise DecryptionError("it no longer matches the SHA-256 taken when it was uploaded")
        if not dry_run:
            EvidenceItem.unscoped.filter(pk=item.pk, key_id=item.key_id).update(key_id=header_key)
        return True
    digest = hashlib.sha256()
    plaintext = _checked(storage.blob_chunks(item.blob_id, keyring=keyring), item, digest)
    if dry_run:
        for _ in plaintext:
            pass
        return True
    rewritten: Path | None = None
    try:
        key_id, rewritten = storage.blob_rewrite(item.blob_id, plaintext, keyring=keyring)
        check = hashlib.sha256()
        for chunk in storage.blob_chunks_at(rewritten, item.blob_id, keyring=keyring):
            check.update(chunk)
        if check.hexdigest() != item.sha256:
            raise DecryptionError("the file written under the new key did not read back to its SHA-256")
        with transaction.atomic():
            # Locked, so the swap and the row's key id are one step for anyone reading the row.
            EvidenceItem.unscoped.select_for_update().filter(pk=item.pk).values_list("pk").get()
            storage.blob_replace(item.blob_id, rewritten)
            rewritten = None
            EvidenceItem.unscoped.filter(pk=item.pk).update(key_id=key_id)
    finally:
        if rewritten is not None:
            rewritten.unlink(missing_ok=True)
    return True


def rotate_evidence_files(
    *, keyring: Keyring, dry_run: bool = False, progress: Callable[[str], None] = lambda line: None
) -> FileRotation:
    """Move every evidence file not under the primary key onto it.

    Guarantees: a file is only replaced by one that decrypts under the primary key to the
    SHA-256 and size recorded at upload, in one atomic rename, with the row's `key_id` updated
    in the same transaction; an exhibit is never left without a readable file. A file that is
    missing, under a key not in MASIP_KEYS, fails to decrypt or no longer matches its SHA-256
    is not re-encrypted: it is listed in `failures` (exhibit, id and why) and stays as it was.
    A dry run reads and checks every such file and writes nothing.
    """
    done = FileRotation()
    # No encrypted column is read: the files move whatever state the database values are in.
    stale = (
        EvidenceItem.unscoped.exclude(key_id=keyring.primary_id)
        .select_related("case")
        .only("pk", "blob_id", "key_id", "sha256", "size", "exhibit_ref", "case__reference")
    )
    for item in stale.order_by("pk").iterator():
        try:
            _rotate_one(item, keyring, dry_run=dry_run)
        except DecryptionError as error:
            why = str(error).rstrip(".")
            done.failures.append(
                f"Exhibit {item.exhibit_ref} of case {item.case.reference} (id {item.pk}) was not re-encrypted: "
                f"{why}. It stays on key {item.key_id!r}; run verify_evidence and restore it from a backup."
            )
            continue
        done.re_encrypted += 1
        progress(f"evidence file of exhibit {item.exhibit_ref} {'would be ' if dry_run else ''}re-encrypted")
    return done


EVIDENCE_FILES = EncryptedFiles(label=LABEL, left_on_old_keys=files_left_on_old_keys, rotate=rotate_evidence_files)
