"""Reading an uploaded CSV file the way every masip import does: refuse what cannot be read with
a message that says what to do, name columns as masip does, number each record by the line it
starts on, and read dates as people in England and Wales write them.

The imports (referrals, incident logs) keep their own columns, limits and rows-to-records rules;
this module is the part they share.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date

UTF8_ADVICE = (
    "Save the file as “CSV UTF-8 (comma delimited)” (in Excel: File, Save As, then choose that type) "
    "and upload it again."
)


class FileRefused(ValueError):
    """The whole file cannot be read; the message says what to do."""


@dataclass(frozen=True)
class DecodedFile:
    text: str
    encoding: str


def decode_csv(
    data: bytes, *, empty_message: str, windows_1252: bool = False, windows_1252_offered: bool = False
) -> DecodedFile:
    """The file's text, or FileRefused: empty, a workbook, binary, or not in the expected encoding.

    UTF-8 with or without a byte-order mark is accepted; Windows-1252 only when the person
    uploading says the file is in it (it cannot be told apart from UTF-8 by looking); when the
    page offers that choice (`windows_1252_offered`), a refusal says so.
    """
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise FileRefused(empty_message)
    if data.startswith(b"PK\x03\x04"):
        raise FileRefused(f"The file is an Excel workbook or another zipped file, not a CSV file. {UTF8_ADVICE}")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRefused(f"The file is saved as “Unicode text” (UTF-16), which masip cannot read. {UTF8_ADVICE}")
    if b"\x00" in data:
        raise FileRefused(
            f"The file is not a text file (it contains binary data), so it cannot be a CSV file. {UTF8_ADVICE}"
        )
    try:
        return DecodedFile(data.decode("utf-8-sig"), "utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        if not windows_1252:
            offer = (
                " If your system can only save Windows-1252 (“ANSI”), tick the box that says so."
                if windows_1252_offered
                else ""
            )
            raise FileRefused(
                f"The file is not in UTF-8 (the first character masip cannot read is on line {line}). "
                f"{UTF8_ADVICE}{offer}"
            ) from None
    try:
        return DecodedFile(data.decode("cp1252"), "windows-1252")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise FileRefused(f"The file is not in Windows-1252 either (line {line}). {UTF8_ADVICE}") from None


def column_key(name: str, aliases: Mapping[str, str] | None = None) -> str:
    """A header cell as masip names columns: lower case, words joined by underscores."""
    key = re.sub(r"[\s\-]+", "_", name.strip().lower())
    return (aliases or {}).get(key, key)


def quoted_names(names: list[str]) -> str:
    """“a”, “b” and “c”."""
    quoted = [f"“{n}”" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def read_header(
    text: str,
    *,
    known: Iterable[str],
    required: Iterable[str],
    use_columns: str,
    aliases: Mapping[str, str] | None = None,
) -> list[str]:
    """The file's columns as masip names them, or FileRefused naming everything wrong with the
    header and ending with `use_columns` (where the right names are to be found)."""
    first = next(csv.reader(io.StringIO(text), strict=True), [])
    if not any(cell.strip() for cell in first):
        raise FileRefused("The first line of the file must be the header row, with the column names.")
    if len(first) == 1:
        for sign, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "vertical bars")):
            if sign in first[0]:
                raise FileRefused(
                    f"The columns are separated by {name}; masip reads commas between columns. {UTF8_ADVICE}"
                )
    known = set(known)
    columns = [column_key(cell, aliases) for cell in first]
    problems = []
    missing = [name for name in required if name not in columns]
    if missing:
        problems.append(f"The file has no {quoted_names(missing)} column{'s' if len(missing) > 1 else ''}.")
    unknown = [cell.strip() for cell, key in zip(first, columns, strict=True) if key not in known]
    if unknown:
        them = "them" if len(unknown) > 1 else "it"
        problems.append(
            f"masip does not know the column{'s' if len(unknown) > 1 else ''} {quoted_names(unknown)}: "
            f"rename {them} or remove {them}."
        )
    repeated = sorted({key for key in columns if columns.count(key) > 1})
    if repeated:
        problems.append(f"The header names {quoted_names(repeated)} more than once.")
    if problems:
        raise FileRefused(" ".join([*problems, use_columns]))
    return columns


@dataclass(frozen=True)
class Row:
    """One record of the file: the line it starts on and its cells by column name, or why the
    line could not be split into the header's columns."""

    line: int
    cells: Mapping[str, str]
    error: str = ""


def iter_rows(text: str, columns: list[str], *, max_rows: int | None = None, too_many: str = "") -> Iterator[Row]:
    """Each record after the header with the line it starts on; blank lines are skipped.

    Raises FileRefused when the CSV structure itself breaks (an unclosed quote: nothing after it
    can be read reliably), and after `max_rows` records with the message `too_many` (so a huge
    file costs no more than reading that many).
    """
    # Strict: an unclosed quote is an error, not the rest of the file swallowed into one cell.
    reader = csv.reader(io.StringIO(text), strict=True)
    next(reader, None)
    start = reader.line_num + 1
    count = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise FileRefused(
                f"Line {start} cannot be read as CSV ({error}). Check the quotes on that line; nothing after it "
                "could be read."
            ) from None
        line, start = start, reader.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue
        count += 1
        if max_rows is not None and count > max_rows:
            raise FileRefused(too_many)
        if len(cells) != len(columns):
            yield Row(
                line,
                {},
                f"The line has {len(cells)} cells but the header has {len(columns)} columns. Check for a missing "
                "or extra comma, or a cell with a comma that is not in quotes.",
            )
            continue
        yield Row(line, dict(zip(columns, cells, strict=True)))


_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_UK = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})$")


def parse_date(value: str, label: str, errors: list[str]) -> date | None:
    """A date written as YYYY-MM-DD or DD/MM/YYYY; None for a blank cell; otherwise None with a
    message in `errors` naming the `label` of the cell."""
    text = value.strip()
    if not text:
        return None
    iso, uk = _ISO.match(text), _UK.match(text)
    if iso:
        year, month, day = (int(part) for part in iso.groups())
    elif uk:
        if len(uk.group(3)) == 2:
            errors.append(f"The {label} “{text}” has a two-digit year: write the year in full, as DD/MM/YYYY.")
            return None
        day, month, year = (int(part) for part in uk.groups())
    else:
        errors.append(f"The {label} “{text}” is not a date: write it as DD/MM/YYYY or YYYY-MM-DD.")
        return None
    try:
        return date(year, month, day)
    except ValueError:
        errors.append(f"The {label} “{text}” is not a real date. Check the day and the month.")
        return None
