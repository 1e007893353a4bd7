"""An evidence export bundle: one ZIP file of exhibits and their manifest.

The ZIP is built as it is written, exhibit by exhibit, a chunk at a time, so a bundle of
large exhibits never sits in memory. It is spooled to a temporary file, but encrypted there
(`SealedSpool`) under a key that exists only in this process's memory: evidence plaintext
never touches the disk, even for the moments between building the bundle and sending it.

The bundle holds, for each exhibit, its original file named `<exhibit ref> <file name>`, and:

- `manifest.csv`: one row per exhibit (reference, file in the bundle, original name,
  detected type, size, SHA-256 recorded at upload, SHA-256 of the bytes written now, capture);
- `custody-log.csv`: each exhibit's chain of custody up to this export, one row per entry;
- `manifest.json`: the same, and who exported the bundle, when, to whom and why.

Every CSV cell goes through `csv_safe`, so a description or name typed as `=HYPERLINK(...)`
is shown as text in a spreadsheet, never run.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

from masip.core.keyring import DecryptionError
from masip.core.text import csv_safe
from masip.evidence import storage
from masip.evidence.models import CustodyEntry, EvidenceItem
from masip.evidence.names import download_filename

MANIFEST_COLUMNS = (
    "exhibit_ref",
    "file_in_bundle",
    "original_file_name",
    "detected_type",
    "size_bytes",
    "sha256_at_upload",
    "sha256_exported",
    "kind",
    "description",
    "captured_by",
    "captured_from",
    "captured_at",
)
CUSTODY_COLUMNS = ("exhibit_ref", "when", "event", "by", "recipient", "reason")


class SealedSpool:
    """A write-once temporary file whose content is encrypted under a throwaway key.

    Written like a file (what `zipfile` needs: `write`, `tell`, `flush`), it keeps the SHA-256
    and size of what was written, and reads back once, chunk by chunk, through `chunks()`,
    which closes (and so deletes) the file when done.
    """

    def __init__(self) -> None:
        self._cipher = AESGCM(AESGCM.generate_key(bit_length=256))
        self._file: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115  # closed by close()
        self._pending = bytearray()
        self._sealed = 0
        self._digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self._digest.update(data)
        self._pending += data
        self.size += len(data)
        while len(self._pending) >= storage.CHUNK_BYTES:
            self._seal(bytes(self._pending[: storage.CHUNK_BYTES]))
            del self._pending[: storage.CHUNK_BYTES]
        return len(data)

    def tell(self) -> int:
        return self.size

    def flush(self) -> None:
        """Nothing to do: chunks are sealed as they fill (zipfile calls this)."""

    def finish(self) -> str:
        """Seal what is left; return the SHA-256 of everything written."""
        if self._pending:
            self._seal(bytes(self._pending))
            self._pending.clear()
        self._file.flush()
        return self._digest.hexdigest()

    def _seal(self, chunk: bytes) -> None:
        # A fresh key per spool, so a counter is a safe nonce.
        sealed = self._cipher.encrypt(self._sealed.to_bytes(12, "big"), chunk, None)
        self._file.write(len(sealed).to_bytes(4, "big") + sealed)
        self._sealed += 1

    def chunks(self) -> Iterator[bytes]:
        try:
            self._file.seek(0)
            for index in range(self._sealed):
                length = int.from_bytes(self._file.read(4), "big")
                yield self._cipher.decrypt(index.to_bytes(12, "big"), self._file.read(length), None)
        finally:
            self.close()

    def close(self) -> None:
        self._file.close()


class ExhibitFailed(Exception):
    """An exhibit's stored file failed its check while the bundle was built."""

    def __init__(self, item: EvidenceItem, why: str) -> None:
        super().__init__(why)
        self.item = item
        self.why = why


@dataclass(frozen=True)
class Export:
    """Who is exporting, to whom and why: written into the manifest."""

    case_reference: str
    exported_by: str
    exported_at: datetime
    recipient: str
    purpose: str


def member_name(item: EvidenceItem) -> str:
    """The exhibit's name inside the bundle: its reference, made a safe file name, then its own name."""
    ref = re.sub(r"[^A-Za-z0-9._-]+", "-", item.exhibit_ref).strip("-.") or "exhibit"
    return f"{ref} {download_filename(item.file_name, item.file_type)}"


def _local(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE)).isoformat(timespec="seconds")


def _custody_rows(item: EvidenceItem, custody: Sequence[CustodyEntry]) -> list[dict[str, str]]:
    return [
        {
            "exhibit_ref": item.exhibit_ref,
            "when": _local(entry.occurred_at),
            "event": entry.get_event_display(),
            "by": str(entry.actor) if entry.actor else "masip",
            "recipient": entry.recipient,
            "reason": entry.reason,
        }
        for entry in custody
    ]


def _csv(columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_safe(str(row[column])) for column in columns])
    # With a byte order mark, Excel opens the file as UTF-8.
    return ("\ufeff" + text.getvalue()).encode()


def _copy_checked(item: EvidenceItem, out: IO[bytes]) -> str:
    """Decrypt the exhibit into `out`; its SHA-256, or ExhibitFailed if it is not what was uploaded."""
    digest = hashlib.sha256()
    size = 0
    try:
        for chunk in storage.blob_chunks(item.blob_id):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    except storage.BlobMissing:
        raise ExhibitFailed(item, "the stored file is missing.") from None
    except DecryptionError as error:
        raise ExhibitFailed(item, str(error)) from None
    if digest.hexdigest() != item.sha256 or size != item.size:
        raise ExhibitFailed(item, "the file no longer matches the SHA-256 taken when it was uploaded.")
    return digest.hexdigest()


def _member(name: str, stamp: tuple[int, ...]) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=stamp)  # type: ignore[arg-type]
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def build(
    spool: SealedSpool, *, export: Export, items: Sequence[EvidenceItem], custody: dict[Any, list[CustodyEntry]]
) -> str:
    """Write the bundle of `items` into `spool`; return the ZIP's SHA-256.

    Each exhibit is decrypted and hashed as it is written; one that is missing, fails to
    decrypt or no longer matches the SHA-256 recorded at upload raises ExhibitFailed, and the
    spool then holds a partial bundle that must be thrown away.
    """
    stamp = export.exported_at.astimezone(ZoneInfo(settings.TIME_ZONE)).timetuple()[:6]
    rows: list[dict[str, Any]] = []
    custody_rows: list[dict[str, str]] = []
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for item in items:
            name = member_name(item)
            info = _member(name, stamp)
            # The size decides whether the member needs ZIP64 records; it is checked on the way.
            info.file_size = item.size
            with archive.open(info, "w") as member:
                exported = _copy_checked(item, member)
            entries = _custody_rows(item, custody.get(item.pk, []))
            custody_rows.extend(entries)
            rows.append(
                {
                    "exhibit_ref": item.exhibit_ref,
                    "file_in_bundle": name,
                    "original_file_name": item.file_name,
                    "detected_type": f"{item.file_type.label} ({item.content_type})",
                    "size_bytes": item.size,
                    "sha256_at_upload": item.sha256,
                    "sha256_exported": exported,
                    "kind": item.get_kind_display(),
                    "description": item.description,
                    "captured_by": item.captured_by,
                    "captured_from": item.captured_from,
                    "captured_at": _local(item.captured_at),
                    "custody": [{k: v for k, v in e.items() if k != "exhibit_ref"} for e in entries],
                }
            )
        archive.writestr(_member("manifest.csv", stamp), _csv(MANIFEST_COLUMNS, rows))
        archive.writestr(_member("custody-log.csv", stamp), _csv(CUSTODY_COLUMNS, custody_rows))
        manifest = {
            "case_reference": export.case_reference,
            "exported_by": export.exported_by,
            "exported_at": _local(export.exported_at),
            "recipient": export.recipient,
            "purpose": export.purpose,
            "exhibits": rows,
        }
        document = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
        archive.writestr(_member("manifest.json", stamp), document)
    return spool.finish()
