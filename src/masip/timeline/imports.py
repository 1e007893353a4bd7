"""Reading an incident log (a CSV file, docs/timeline-import.md) into timeline entry drafts.

This module only reads: it checks the file as a whole (size, encoding, delimiter, header, how
many rows) and turns each row into an `EntryDraft`, or into the reasons it cannot be one. The
rules an entry must meet on the case are the services' (`EntryRules`), the same as for a form.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path

from masip.timeline.models import ReportedBy
from masip.timeline.services import EntryDraft

MAX_ROWS = 5_000
# Generous for 5,000 rows with descriptions; a bigger file is refused before it is read.
MAX_BYTES = 5 * 1024 * 1024
SAMPLE_FILE = Path(__file__).resolve().parent / "data" / "incident-log-sample.csv"

COLUMNS = ("date", "time", "until", "behaviours", "count", "reported_by", "reported_on", "location", "description")
REQUIRED_COLUMNS = ("date", "behaviours")
# Other names people give the same columns.
ALIASES = {
    "behaviour": "behaviours",
    "behaviour_codes": "behaviours",
    "behavior": "behaviours",
    "behaviors": "behaviours",
    "codes": "behaviours",
    "occurred_on": "date",
    "from": "date",
    "to": "until",
    "end_date": "until",
    "how_many_times": "count",
    "incidents": "count",
}
# An empty reported_by means the log is the victim's own.
DEFAULT_REPORTED_BY = ReportedBy.VICTIM_DIARY

UTF8_ADVICE = (
    "Save the file as “CSV UTF-8 (comma delimited)” (in Excel: File, Save As, then choose that type) "
    "and upload it again."
)


class FileRefused(ValueError):
    """The whole file cannot be read as an incident log; the message says what to do."""


def too_large_message(limit: int = MAX_BYTES) -> str:
    return (
        f"The file is larger than {limit // (1024 * 1024)} MB, the most masip takes in one incident log. "
        f"Split it into files of at most {MAX_ROWS:,} rows (each with the header row) and import them one by one."
    )


def too_many_rows_message() -> str:
    return (
        f"The file has more than {MAX_ROWS:,} rows, the most masip imports at once. Nothing was stored. "
        f"Split it into files of at most {MAX_ROWS:,} rows (each with the header row) and import them one by one."
    )


def decode(data: bytes) -> str:
    """The file's text, or FileRefused: too large, empty, binary, or not UTF-8 (a BOM is fine)."""
    if len(data) > MAX_BYTES:
        raise FileRefused(too_large_message())
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise FileRefused("The file is empty. Choose the incident log, with its header row.")
    if data.startswith(b"PK\x03\x04"):
        raise FileRefused(f"The file is an Excel workbook, not a CSV file. {UTF8_ADVICE}")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRefused(f"The file is saved as “Unicode text” (UTF-16), which masip cannot read. {UTF8_ADVICE}")
    if b"\x00" in data:
        raise FileRefused(f"The file is not a text file (it contains binary data). {UTF8_ADVICE}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise FileRefused(
            f"The file is not in UTF-8: the first character masip cannot read is on line {line}. {UTF8_ADVICE}"
        ) from None


def _key(name: str) -> str:
    key = re.sub(r"[\s\-]+", "_", name.strip().lower())
    return ALIASES.get(key, key)


def read_header(text: str) -> list[str]:
    """The file's columns as masip names them, or FileRefused saying what is wrong."""
    first = next(csv.reader(io.StringIO(text), strict=True), [])
    if not any(cell.strip() for cell in first):
        raise FileRefused("The first line of the file must be the header row, with the column names.")
    if len(first) == 1:
        for sign, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "vertical bars")):
            if sign in first[0]:
                raise FileRefused(
                    f"The columns are separated by {name}; masip reads commas between columns. {UTF8_ADVICE}"
                )
    columns = [_key(cell) for cell in first]
    problems = []
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        problems.append(f"The file has no {' or '.join(f'“{m}”' for m in missing)} column.")
    unknown = [cell.strip() for cell, key in zip(first, columns, strict=True) if key not in COLUMNS]
    if unknown:
        problems.append(f"masip does not know the column(s) {', '.join(f'“{u}”' for u in unknown)}.")
    repeated = sorted({key for key in columns if columns.count(key) > 1})
    if repeated:
        problems.append(f"The header names {', '.join(f'“{r}”' for r in repeated)} more than once.")
    if problems:
        raise FileRefused(" ".join([*problems, f"Use the columns {', '.join(COLUMNS)} (header row first)."]))
    return columns


@dataclass(frozen=True)
class Row:
    line: int
    cells: dict[str, str]
    error: str = ""


def iter_rows(text: str, columns: list[str]) -> Iterator[Row]:
    """Each record after the header with the line it starts on; blank lines skipped. Stops with
    FileRefused after MAX_ROWS rows (so a huge file costs no more than reading that many) or when
    the CSV structure breaks (an unclosed quote)."""
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
        if count > MAX_ROWS:
            raise FileRefused(too_many_rows_message())
        if len(cells) != len(columns):
            yield Row(
                line,
                {},
                f"The line has {len(cells)} cells but the header has {len(columns)} columns. Check for a missing or "
                "extra comma, or a cell with a comma that is not in quotes.",
            )
            continue
        yield Row(line, dict(zip(columns, cells, strict=True)))


def read_rows(data: bytes) -> list[Row]:
    """Every row of the file, or FileRefused for the file as a whole (nothing read is kept)."""
    text = decode(data)
    columns = read_header(text)
    rows = list(iter_rows(text, columns))
    if not rows:
        raise FileRefused("The file has a header row but no incidents under it. Check it is the right file.")
    return rows


_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_UK = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})$")
_TIME = re.compile(r"^(\d{1,2})[:.](\d{2})(?::(\d{2}))?$")


def parse_date(value: str, label: str, errors: list[str]) -> date | None:
    """A date written as YYYY-MM-DD or DD/MM/YYYY; a message in `errors` otherwise."""
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


def parse_time(value: str, label: str, errors: list[str]) -> time | None:
    text = value.strip()
    if not text:
        return None
    match = _TIME.match(text)
    if match:
        hour, minute = int(match.group(1)), int(match.group(2))
        if hour < 24 and minute < 60:
            return time(hour, minute)
    errors.append(f"The {label} “{text}” is not a time: write it as HH:MM on the 24-hour clock, for example 21:30.")
    return None


def parse_reported_by(value: str, errors: list[str]) -> str:
    text = " ".join(value.split()).lower()
    if not text:
        return DEFAULT_REPORTED_BY
    for code, label in ReportedBy.choices:
        if text in (str(code), str(label).lower()):
            return str(code)
    errors.append(f"Reported by “{value.strip()}” is not one masip knows. Use one of: {', '.join(ReportedBy.values)}.")
    return ""


@dataclass
class ParsedRow:
    line: int
    draft: EntryDraft | None = None
    errors: list[str] = field(default_factory=list)


def parse_row(row: Row) -> ParsedRow:
    """The row as an entry draft, or what is wrong with the form of its cells."""
    if row.error:
        return ParsedRow(row.line, errors=[row.error])
    cells = row.cells
    errors: list[str] = []
    raw_date = cells.get("date", "").strip()
    if not raw_date:
        errors.append("The date is empty: give the day it happened (or the first day), as DD/MM/YYYY.")
    occurred_on = parse_date(raw_date, "date", errors)
    occurred_until = parse_date(cells.get("until", ""), "until date", errors)
    occurred_time = parse_time(cells.get("time", ""), "time", errors)
    raw_count = cells.get("count", "").strip().replace(",", "")
    incidents: int | None = 1
    if raw_count:
        if raw_count.isdigit():
            incidents = int(raw_count)
        else:
            errors.append(f"The count “{raw_count}” is not a whole number: write how many times, for example 3.")
    codes = [part.strip().lower() for part in cells.get("behaviours", "").split(";") if part.strip()]
    reported_by = parse_reported_by(cells.get("reported_by", ""), errors)
    reported_on = parse_date(cells.get("reported_on", ""), "reported on date", errors)
    if errors:
        return ParsedRow(row.line, errors=errors)
    return ParsedRow(
        row.line,
        draft=EntryDraft(
            occurred_on=occurred_on,
            occurred_until=occurred_until,
            occurred_time=occurred_time,
            behaviour_codes=codes,
            incidents=incidents,
            reported_by=reported_by,
            reported_on=reported_on,
            location=cells.get("location", ""),
            description=cells.get("description", ""),
        ),
    )
