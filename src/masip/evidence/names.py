"""Filenames people upload, made safe to show and to send back in Content-Disposition."""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

from masip.evidence.sniff import FileType

MAX_NAME_LENGTH = 120


def clean_filename(name: str, *, fallback: str = "evidence") -> str:
    """The last path part of `name`, without control or formatting characters (bidi overrides
    that make `gpj.exe` read as `exe.jpg`), leading dots or surrounding spaces, at most 120."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    normalised = unicodedata.normalize("NFC", base)
    kept = "".join(ch for ch in normalised if ch == " " or unicodedata.category(ch)[0] not in "CZ")
    kept = " ".join(kept.split()).strip(" .")
    if len(kept) > MAX_NAME_LENGTH:
        stem, dot, ext = kept.rpartition(".")
        short_ext = dot and len(ext) <= 10
        kept = stem[: MAX_NAME_LENGTH - len(ext) - 1] + dot + ext if short_ext else kept[:MAX_NAME_LENGTH]
    return kept or fallback


def download_filename(name: str, file_type: FileType) -> str:
    """The name a download is saved under: the cleaned name, ending in an extension of the
    type detected (a text file named `run.bat` is saved as `run.bat.txt`)."""
    cleaned = clean_filename(name)
    stem, dot, ext = cleaned.rpartition(".")
    if dot and stem and ext.lower() in file_type.extensions:
        return cleaned
    return f"{cleaned}.{file_type.extension}"


def content_disposition(name: str) -> str:
    """`attachment` with an ASCII fallback and the full name as RFC 6266 / RFC 5987 `filename*`."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    ascii_name = "".join(ch for ch in ascii_name if ch.isalnum() or ch in " .-_()").strip(" .") or "evidence"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
