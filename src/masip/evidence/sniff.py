"""What a file is, from its bytes alone: never from its name or the browser's content type.

Only the types listed in ACCEPTED are taken in. Everything else is refused; the types that
could run code or render as a page (programs, scripts, HTML, SVG, archives, Office files with
macros) are named in the refusal, so the person uploading knows why.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass


@dataclass(frozen=True)
class FileType:
    mime: str
    label: str
    extensions: tuple[str, ...]

    @property
    def extension(self) -> str:
        return self.extensions[0]


PNG = FileType("image/png", "PNG image", ("png",))
JPEG = FileType("image/jpeg", "JPEG image", ("jpg", "jpeg", "jpe"))
GIF = FileType("image/gif", "GIF image", ("gif",))
WEBP = FileType("image/webp", "WebP image", ("webp",))
HEIC = FileType("image/heic", "HEIC image", ("heic", "heif"))
MP3 = FileType("audio/mpeg", "MP3 audio", ("mp3",))
M4A = FileType("audio/mp4", "M4A audio", ("m4a", "mp4", "aac"))
AAC = FileType("audio/aac", "AAC audio", ("aac",))
WAV = FileType("audio/wav", "WAV audio", ("wav",))
OGG = FileType("audio/ogg", "Ogg audio", ("ogg", "oga", "opus"))
AMR = FileType("audio/amr", "AMR voice recording", ("amr",))
MP4 = FileType("video/mp4", "MP4 video", ("mp4", "m4v"))
PDF = FileType("application/pdf", "PDF document", ("pdf",))
TEXT = FileType("text/plain", "Plain text", ("txt", "text", "log", "csv"))
EML = FileType("message/rfc822", "Email message", ("eml",))
MSG = FileType("application/vnd.ms-outlook", "Outlook message", ("msg",))
DOCX = FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word document", ("docx",))
XLSX = FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel workbook", ("xlsx",))

ACCEPTED: tuple[FileType, ...] = (
    PNG, JPEG, GIF, WEBP, HEIC, MP3, M4A, AAC, WAV, OGG, AMR, MP4, PDF, TEXT, EML, MSG, DOCX, XLSX,
)  # fmt: skip
ACCEPTED_BY_MIME = {t.mime: t for t in ACCEPTED}

# Names that say "this runs": refused whatever the bytes are, since a download keeps its name.
DANGEROUS_EXTENSIONS = frozenset(
    [
        "exe",
        "dll",
        "com",
        "scr",
        "pif",
        "cpl",
        "msi",
        "msp",
        "sys",
        "drv",
        "ocx",
        "bat",
        "cmd",
        "ps1",
        "psm1",
        "vbs",
        "vbe",
        "js",
        "jse",
        "mjs",
        "wsf",
        "wsh",
        "hta",
        "jar",
        "apk",
        "app",
        "dmg",
        "sh",
        "bash",
        "zsh",
        "py",
        "pl",
        "rb",
        "php",
        "lnk",
        "reg",
        "inf",
        "html",
        "htm",
        "xhtml",
        "shtml",
        "svg",
        "svgz",
        "xml",
        "xsl",
        "docm",
        "dotm",
        "xlsm",
        "xltm",
        "xlam",
        "pptm",
        "potm",
        "ppsm",
        "zip",
        "rar",
        "7z",
        "gz",
        "tgz",
        "bz2",
        "xz",
        "tar",
        "cab",
        "iso",
        "img",
    ]
)

_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
_AUDIO_MP4_BRANDS = {b"M4A ", b"M4B ", b"M4P "}
_VIDEO_MP4_BRANDS = {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"dash"}
_EMAIL_HEADER = re.compile(rb"^(From|To|Subject|Date|Received|Return-Path|Message-ID|MIME-Version|Reply-To|Cc):", re.I)
_MARKUP = re.compile(rb"<\s*(script|html|svg|body|iframe|object|embed|!doctype|\?xml)\b", re.I)
_MACHO = (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe")
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MAX_ZIP_ENTRIES = 5000
_MAX_CONTENT_TYPES_BYTES = 1024 * 1024


class FileRefused(ValueError):
    """The file is not one masip takes as evidence; the message says why and what to do."""


def _refuse(what: str, named: str = "") -> FileRefused:
    return FileRefused(
        f"This file {named}is {what}, which masip does not accept as evidence: it could run code on the computer "
        "of whoever opens it. Upload a screenshot, photograph, recording, PDF or the original message instead."
    )


def _dangerous(data: bytes) -> str | None:
    """A description of a dangerous file, or None."""
    head = data[:64]
    if head.startswith(b"MZ"):
        return "a Windows program"
    if head.startswith(b"\x7fELF"):
        return "a Linux program"
    if head[:4] in _MACHO:
        return "a Mac or Java program"
    if head.startswith(b"#!") and not head.startswith(b"#!AMR"):
        return "a script"
    if head.startswith((b"Rar!\x1a\x07", b"7z\xbc\xaf\x27\x1c", b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"MSCF")):
        return "a compressed archive"
    if len(data) > 262 and data[257:262] == b"ustar":
        return "a compressed archive"
    if head.startswith(b"{\\rtf"):
        return "a Rich Text document (it can carry embedded programs; save it as PDF)"
    return None


def _ftyp(data: bytes) -> FileType | None:
    if data[4:8] != b"ftyp":
        return None
    major = data[8:12]
    box_size = int.from_bytes(data[0:4], "big")
    compatible = {data[i : i + 4] for i in range(16, min(box_size, 64), 4)}
    brands = {major} | compatible
    if major in _HEIC_BRANDS or (brands & {b"heic", b"heix"}):
        return HEIC
    if major in _AUDIO_MP4_BRANDS:
        return M4A
    if major in _VIDEO_MP4_BRANDS or brands & _VIDEO_MP4_BRANDS:
        return MP4
    return None


def _mpeg_audio(data: bytes) -> FileType | None:
    if data.startswith(b"ID3"):
        return MP3
    if len(data) >= 4 and data[0] == 0xFF and (data[1] & 0xE0) == 0xE0:
        layer = (data[1] >> 1) & 0x3
        if layer == 0 and (data[1] & 0xF6) == 0xF0:
            return AAC  # ADTS
        if layer != 0 and (data[2] >> 4) not in (0x0, 0xF):
            return MP3
    return None


def _office(data: bytes) -> FileType:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if len(infos) > _MAX_ZIP_ENTRIES:
                raise _refuse("a compressed archive")
            names = {info.filename for info in infos}
            types_info = archive.getinfo("[Content_Types].xml") if "[Content_Types].xml" in names else None
            if types_info is None or types_info.file_size > _MAX_CONTENT_TYPES_BYTES:
                raise _refuse("a compressed archive (zip)")
            content_types = archive.read(types_info).lower()
    except zipfile.BadZipFile:
        raise _refuse("a damaged or unusual compressed archive") from None
    if any(name.lower().endswith("vbaproject.bin") for name in names) or b"macroenabled" in content_types:
        raise _refuse("an Office document with macros")
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        return XLSX
    raise FileRefused(
        "This Office file is not a Word document (.docx) or Excel workbook (.xlsx). "
        "Save it as PDF and upload that instead."
    )


def _outlook(data: bytes) -> FileType:
    # An Outlook message is an OLE compound file whose directory names its property streams;
    # older Word and Excel files use the same container and may carry macros.
    if "__properties_version1.0".encode("utf-16-le") in data and "__substg1.0_".encode("utf-16-le") in data:
        if any(marker.encode("utf-16-le") in data for marker in ("Macros", "_VBA_PROJECT", "VBA")):
            raise _refuse("an Office file with macros")
        return MSG
    raise FileRefused(
        "This is an older Office file (.doc or .xls), which can carry macros. "
        "Save it as .docx, .xlsx or PDF and upload that instead."
    )


def _text(data: bytes) -> FileType | None:
    body = data.removeprefix(b"\xef\xbb\xbf")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if any(ch < " " and ch not in "\t\r\n\f" for ch in text):
        return None
    stripped = body.lstrip()
    if stripped.startswith(b"<") or _MARKUP.search(body[:65536]):
        raise _refuse("a web page or image that browsers can run (HTML, SVG or XML)")
    lines = body.splitlines()[:40]
    headers = {m.group(1).lower() for line in lines if (m := _EMAIL_HEADER.match(line))}
    if b"from" in headers and len(headers) >= 3:
        return EML
    return TEXT


def detect(data: bytes) -> FileType:
    """The accepted type of `data`, or FileRefused saying why it is not accepted."""
    if not data:
        raise FileRefused("The file is empty (0 bytes). Check you chose the right file and upload it again.")
    danger = _dangerous(data)
    if danger is not None:
        raise _refuse(danger)
    head = data[:64]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return WAV
    if head.startswith(b"OggS"):
        return OGG
    if head.startswith((b"#!AMR\n", b"#!AMR-WB\n")):
        return AMR
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"PK\x03\x04"):
        return _office(data)
    if head.startswith(_OLE):
        return _outlook(data)
    found = _ftyp(data) or _mpeg_audio(data)
    if found is not None:
        return found
    text = _text(data)
    if text is not None:
        return text
    raise FileRefused(
        "masip could not recognise this file as a picture, recording, video, PDF, Word or Excel document, "
        "text or email message. Check the file opens on your computer, or save it as PDF, and upload it again."
    )


def _extension(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


def _label_for_extension(ext: str) -> str | None:
    for file_type in ACCEPTED:
        if ext in file_type.extensions:
            return file_type.label
    return None


def check_upload(*, name: str, data: bytes) -> FileType:
    """The accepted type of an upload called `name`, or FileRefused.

    The bytes decide the type. The name only ever adds a refusal: a name that says "program"
    (a download keeps its name), or contents that are dangerous under a harmless-looking name,
    which is said plainly, since someone may have been sent the file to trick them.
    """
    ext = _extension(name)
    if ext in DANGEROUS_EXTENSIONS:
        raise FileRefused(
            f"Files ending “.{ext}” are not accepted as evidence: they can run code or hide other files. "
            "Upload a screenshot, photograph, recording, PDF or the original message instead."
        )
    claimed = _label_for_extension(ext)
    try:
        return detect(data)
    except FileRefused as refused:
        if claimed is not None and data and (_dangerous(data) or data.startswith((b"PK\x03\x04", _OLE))):
            raise FileRefused(
                f"This file is named like a {claimed} (“.{ext}”), but its contents are not: {refused} "
                "Nothing was saved."
            ) from None
        raise
