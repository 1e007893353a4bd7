"""Key rotation: re-encrypt every stored value that is not yet under the keyring's primary key.

The walk reads the *stored* tokens (a text cast of the column, so `from_db_value` does not
decrypt them), goes through each model in primary-key order, one transaction per batch, and
only touches values on another key: a rerun after an interruption carries on where the last
one stopped. Content does not change, so `version` and `updated_at` stay as they are.

Files an app keeps encrypted outside the database (evidence) are rotated by the app itself:
it registers an `EncryptedFiles` from its AppConfig.ready(), so core imports no app.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import models, transaction
from django.db.models import Q, TextField
from django.db.models.functions import Cast, Substr
from django.db.models.lookups import Exact

from masip.audit.models import AuditAction
from masip.audit.services import audit_record
from masip.core.fields import EncryptedTextField, encrypted_fields
from masip.core.keyring import PREFIX, DecryptionError, Keyring, active_keyring, key_id_of


class RotationError(Exception):
    """A stored value cannot be re-encrypted; nothing of its batch was written."""


@dataclass
class FileRotation:
    """What one store of files did in a run: files moved onto the primary key, and the files
    it refused to move (each message names the file's record and why, never its content)."""

    re_encrypted: int = 0
    failures: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class EncryptedFiles:
    """Files an app keeps encrypted with MASIP_KEYS outside the database.

    `left_on_old_keys(keyring)` counts the files not under the primary key; `rotate(keyring=,
    dry_run=, progress=)` moves each onto it, leaving every file readable at every moment,
    and reports (not raises) the files it could not move.
    """

    label: str
    left_on_old_keys: Callable[[Keyring], int]
    rotate: Callable[..., FileRotation]


_FILE_STORES: dict[str, EncryptedFiles] = {}


def register_encrypted_files(store: EncryptedFiles) -> None:
    _FILE_STORES[store.label] = store


def encrypted_file_stores() -> list[EncryptedFiles]:
    return list(_FILE_STORES.values())


@dataclass
class RotationResult:
    primary_key_id: str
    dry_run: bool
    re_encrypted: int = 0
    # Rows edited by someone else between our read and our write: their save already used the
    # primary key, so there is nothing left to do for them.
    changed_meanwhile: int = 0
    batches: int = 0
    by_field: dict[str, int] = field(default_factory=dict)
    # Values and files together: an old key may leave MASIP_KEYS only when this is 0.
    left_on_old_keys: int = 0
    files_re_encrypted: int = 0
    files_by_store: dict[str, int] = field(default_factory=dict)
    file_failures: list[str] = field(default_factory=list)
    files_left_on_old_keys: int = 0
    stopped_early: bool = False
    error: str = ""

    def audit_detail(self) -> dict[str, Any]:
        return {
            "command": "rotate_keys",
            "primary_key_id": self.primary_key_id,
            "re_encrypted": self.re_encrypted,
            "changed_meanwhile": self.changed_meanwhile,
            "batches": self.batches,
            "by_field": self.by_field,
            "left_on_old_keys": self.left_on_old_keys,
            "files_re_encrypted": self.files_re_encrypted,
            "files_by_store": self.files_by_store,
            "file_failures": self.file_failures,
            "files_left_on_old_keys": self.files_left_on_old_keys,
            "stopped_early": self.stopped_early,
            "error": self.error,
        }


def encrypted_columns() -> Iterator[tuple[type[models.Model], list[EncryptedTextField]]]:
    """Every concrete model with encrypted fields, each field listed once (on its own table)."""
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        own = [f for f in encrypted_fields(model) if f.model is model]
        if own:
            yield model, own


def _raw(f: EncryptedTextField) -> str:
    return f"rawtoken_{f.attname}"


def _head(f: EncryptedTextField) -> str:
    return f"rawhead_{f.attname}"


def _stored(model: type[models.Model], fields: list[EncryptedTextField], prefix: str) -> models.QuerySet[Any]:
    # Casting to plain text hands back the stored token instead of the decrypted value.
    annotations: dict[str, Any] = {}
    for f in fields:
        annotations[_raw(f)] = Cast(f.attname, output_field=TextField())
        # An exact comparison of the prefix: LIKE is case-insensitive on SQLite, key ids are not.
        annotations[_head(f)] = Substr(Cast(f.attname, output_field=TextField()), 1, len(prefix))
    return model._base_manager.annotate(**annotations)


def _stale(f: EncryptedTextField, prefix: str) -> Q:
    return Q(**{f"{_raw(f)}__isnull": False}) & ~Q(**{_raw(f): ""}) & ~Q(**{_head(f): prefix})


def _label(model: type[models.Model], f: EncryptedTextField) -> str:
    return f"{model._meta.label_lower}.{f.name}"


def _plaintext(keyring: Keyring, model: type[models.Model], f: EncryptedTextField, pk: Any, token: str) -> str:
    key_id = key_id_of(token)
    where = f"{_label(model, f)} (row {pk})"
    if key_id is None:
        raise RotationError(f"{where} holds a value that is not a masip ciphertext; nothing in its batch was written.")
    if key_id not in keyring.keys:
        raise RotationError(
            f"{where} is encrypted with key {key_id!r}, which is not in MASIP_KEYS; nothing in its batch was "
            f"written. Add key {key_id!r} back to MASIP_KEYS, after the primary key, and run rotate_keys again."
        )
    try:
        return keyring.decrypt(token, context=f.encryption_context)
    except DecryptionError as exc:
        raise RotationError(
            f"{where} failed its integrity check with key {key_id!r} (tampered, or moved from another column); "
            "nothing in its batch was written. Restore the value from a backup, then run rotate_keys again."
        ) from exc


def _rewrite(model: type[models.Model], pk: Any, changes: dict[EncryptedTextField, tuple[str, str]]) -> bool:
    """Store each plaintext again (the field encrypts it under the primary key, bound to its
    column), but only if the row still holds the tokens we read: a save in between already
    used the primary key, and its newer content must not be overwritten."""
    unchanged: list[Exact] = [
        Exact(Cast(f.attname, output_field=TextField()), token) for f, (token, _) in changes.items()
    ]
    written = model._base_manager.filter(*unchanged, pk=pk).update(
        **{f.attname: plaintext for f, (_, plaintext) in changes.items()}
    )
    return written == 1


def _rotate_batch(
    *,
    model: type[models.Model],
    fields: list[EncryptedTextField],
    keyring: Keyring,
    after: Any,
    batch_size: int,
    dry_run: bool,
    result: RotationResult,
) -> tuple[int, Any]:
    """Re-encrypt one batch in one transaction; return (rows read, last primary key read)."""
    prefix = f"{PREFIX}:{keyring.primary_id}:"
    stale = Q(pk__in=[])
    for f in fields:
        stale |= _stale(f, prefix)
    stored = _stored(model, fields, prefix).filter(stale)
    if after is not None:
        stored = stored.filter(pk__gt=after)
    with transaction.atomic():
        rows = list(stored.order_by("pk").values_list("pk", *(_raw(f) for f in fields))[:batch_size])
        # Decrypt the whole batch before writing any of it, so a bad value leaves the batch untouched.
        plans = []
        for pk, *tokens in rows:
            changes = {
                f: (token, _plaintext(keyring, model, f, pk, token))
                for f, token in zip(fields, tokens, strict=True)
                if token and not token.startswith(prefix)
            }
            plans.append((pk, changes))
        for pk, changes in plans:
            if not dry_run and not _rewrite(model, pk, changes):
                result.changed_meanwhile += 1
                continue
            for f in changes:
                result.by_field[_label(model, f)] = result.by_field.get(_label(model, f), 0) + 1
                result.re_encrypted += 1
    return len(rows), (rows[-1][0] if rows else after)


def values_left_on_old_keys(keyring: Keyring | None = None) -> dict[str, int]:
    """How many stored values, per model field, and how many files, per registered store, are
    not under the primary key (one count each)."""
    keyring = keyring or active_keyring()
    prefix = f"{PREFIX}:{keyring.primary_id}:"
    left = {}
    for model, fields in encrypted_columns():
        for f in fields:
            count = _stored(model, [f], prefix).filter(_stale(f, prefix)).count()
            if count:
                left[_label(model, f)] = count
    for store in encrypted_file_stores():
        count = store.left_on_old_keys(keyring)
        if count:
            left[store.label] = count
    return left


def _rotate_files(*, keyring: Keyring, dry_run: bool, progress: Callable[[str], None], result: RotationResult) -> None:
    for store in encrypted_file_stores():
        done = store.rotate(keyring=keyring, dry_run=dry_run, progress=progress)
        result.files_re_encrypted += done.re_encrypted
        result.files_by_store[store.label] = done.re_encrypted
        result.file_failures.extend(done.failures)


def rotate_keys(
    *,
    batch_size: int = 500,
    dry_run: bool = False,
    max_batches: int | None = None,
    progress: Callable[[str], None] = lambda line: None,
) -> RotationResult:
    """Re-encrypt every stored value that is not under the primary key of MASIP_KEYS.

    Guarantees: each batch is written in its own transaction, and a batch holding a value that
    cannot be decrypted (its key is missing, or it fails its integrity check) is not written
    at all and stops the run with RotationError naming model, field, row and key id. Values
    are only ever read and rewritten, never logged. A rerun continues where the last stopped.
    Once every value is done (not when stopped early or by an error), each registered store of
    encrypted files rotates its files; a file it cannot move is listed in `file_failures` and
    stays, readable, on its old key. One `admin` audit event records each real run (not a dry
    run) with counts and the failures' messages only.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    keyring = active_keyring()
    result = RotationResult(primary_key_id=keyring.primary_id, dry_run=dry_run)
    verb = "would be re-encrypted" if dry_run else "re-encrypted"
    try:
        for model, fields in encrypted_columns():
            after = None
            while True:
                if max_batches is not None and result.batches >= max_batches:
                    result.stopped_early = True
                    break
                before = result.re_encrypted
                read, after = _rotate_batch(
                    model=model,
                    fields=fields,
                    keyring=keyring,
                    after=after,
                    batch_size=batch_size,
                    dry_run=dry_run,
                    result=result,
                )
                if read == 0:
                    break
                result.batches += 1
                progress(
                    f"{model._meta.label_lower}: batch {result.batches}, {result.re_encrypted - before} values {verb}"
                )
                if read < batch_size:
                    break
            if result.stopped_early:
                break
        if not result.stopped_early:
            _rotate_files(keyring=keyring, dry_run=dry_run, progress=progress, result=result)
    except RotationError as exc:
        result.error = str(exc)
        raise
    finally:
        left = values_left_on_old_keys(keyring)
        result.left_on_old_keys = sum(left.values())
        result.files_left_on_old_keys = sum(left.get(store.label, 0) for store in encrypted_file_stores())
        if not dry_run:
            audit_record(action=AuditAction.ADMIN, object_type="core.keyring", detail=result.audit_detail())
    return result
