"""The type of a file comes from its bytes; only the accepted types pass."""

from __future__ import annotations

import pytest

from masip.evidence import sniff
from masip.evidence.names import clean_filename, content_disposition, download_filename
from masip.evidence.sniff import FileRefused, check_upload, detect
from tests.evidence.conftest import DOCX, EXE, JPEG, PNG, office_zip

ACCEPTED = [
    (PNG, sniff.PNG),
    (JPEG, sniff.JPEG),
    (b"GIF89a" + b"\x00" * 20, sniff.GIF),
    (b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 20, sniff.WEBP),
    (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 20, sniff.HEIC),
    (b"ID3\x04\x00" + b"\x00" * 40, sniff.MP3),
    (b"\xff\xfb\x90\x64" + b"\x00" * 40, sniff.MP3),
    (b"\xff\xf1\x50\x80" + b"\x00" * 40, sniff.AAC),
    (b"\x00\x00\x00\x1cftypM4A \x00\x00\x00\x00M4A mp42isom" + b"\x00" * 20, sniff.M4A),
    (b"RIFF\x00\x00\x00\x00WAVEfmt " + b"\x00" * 20, sniff.WAV),
    (b"OggS\x00\x02" + b"\x00" * 40, sniff.OGG),
    (b"#!AMR\n" + b"\x3c" * 40, sniff.AMR),
    (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41" + b"\x00" * 20, sniff.MP4),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", sniff.PDF),
    (b"Sat 10:42 He: I know where you are.\nSat 10:43 He: I'm outside.\n", sniff.TEXT),
    (b"From: someone@example.org\r\nTo: victim@example.org\r\nSubject: you\r\nDate: x\r\n\r\nBody", sniff.EML),
    (DOCX, sniff.DOCX),
    (
        office_zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}),
        sniff.XLSX,
    ),
]


@pytest.mark.parametrize(("data", "expected"), ACCEPTED, ids=[t.extension for _, t in ACCEPTED])
def test_accepted_types_are_recognised_from_their_bytes(data: bytes, expected: sniff.FileType):
    assert detect(data) == expected


REFUSED = {
    "windows program": (EXE, "Windows program"),
    "linux program": (b"\x7fELF\x02\x01\x01" + b"\x00" * 40, "Linux program"),
    "mac program": (b"\xcf\xfa\xed\xfe" + b"\x00" * 40, "Mac or Java program"),
    "shell script": (b"#!/bin/sh\nrm -rf ~\n", "script"),
    "html": (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "HTML"),
    "html after text": (b"Hello\n<script>alert(1)</script>", "HTML"),
    "svg": (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "SVG"),
    "xml": (b'<?xml version="1.0"?><a/>', "XML"),
    "zip": (office_zip({"readme.txt": b"hello"}), "archive"),
    "rar": (b"Rar!\x1a\x07\x01\x00" + b"\x00" * 40, "archive"),
    "7z": (b"7z\xbc\xaf\x27\x1c" + b"\x00" * 40, "archive"),
    "gzip": (b"\x1f\x8b\x08\x00" + b"\x00" * 40, "archive"),
    "macro word": (
        office_zip(
            {
                "[Content_Types].xml": b"<Types>application/vnd.ms-word.document.macroEnabled.main+xml</Types>",
                "word/document.xml": b"<w:document/>",
                "word/vbaProject.bin": b"\x00" * 10,
            }
        ),
        "macros",
    ),
    "old word": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "older Office file"),
    "rtf": (b"{\\rtf1\\ansi hello}", "Rich Text"),
    "unknown binary": (b"\x00\x01\x02\x03\x04" * 30, "could not recognise"),
}


@pytest.mark.parametrize("case", REFUSED.values(), ids=REFUSED.keys())
def test_dangerous_and_unknown_types_are_refused_with_a_reason(case: tuple[bytes, str]):
    data, reason = case
    with pytest.raises(FileRefused, match=reason):
        detect(data)


def test_zero_bytes_are_refused():
    with pytest.raises(FileRefused, match="empty"):
        check_upload(name="photo.jpg", data=b"")


def test_a_program_named_like_a_photo_is_refused_as_mislabelled():
    with pytest.raises(FileRefused, match=r"named like a JPEG image .*Windows program"):
        check_upload(name="photo.jpg", data=EXE)


@pytest.mark.parametrize("name", ["notes.bat", "evil.exe", "page.html", "image.svg", "report.docm", "x.JS"])
def test_a_program_name_is_refused_whatever_the_bytes(name: str):
    with pytest.raises(FileRefused, match="not accepted"):
        check_upload(name=name, data=b"plain words\n")


def test_a_picture_under_another_picture_name_is_kept_as_what_it_is():
    assert check_upload(name="IMG_0001.jpg", data=PNG) == sniff.PNG


def test_filenames_lose_paths_and_control_characters():
    assert clean_filename("../../etc/passwd") == "passwd"
    assert clean_filename("C:\\Users\\x\\photo.jpg") == "photo.jpg"
    assert clean_filename("evil\u202egpj.exe") == "evilgpj.exe"
    assert clean_filename("a\r\nb\x00c.png") == "abc.png"
    assert clean_filename("...") == "evidence"
    assert len(clean_filename("x" * 500 + ".png")) == 120
    assert clean_filename("x" * 500 + ".png").endswith(".png")


def test_download_names_carry_the_detected_type():
    assert download_filename("run.bat", sniff.TEXT) == "run.bat.txt"
    assert download_filename("IMG_0001.jpg", sniff.PNG) == "IMG_0001.jpg.png"
    assert download_filename("photo.JPG", sniff.JPEG) == "photo.JPG"


def test_content_disposition_is_an_attachment_with_an_rfc6266_name():
    header = content_disposition('Zoë "quoted"; name.png')
    assert header.startswith('attachment; filename="Zoe quoted name.png"; ')
    assert "filename*=UTF-8''Zo%C3%AB%20%22quoted%22%3B%20name.png" in header
    assert "\n" not in header
    assert "\r" not in header
