"""Reading an incident log (a CSV file, docs/timeline-import.md) into timeline entry drafts.

This module only reads: it checks the file as a whole (size, encoding, delimiter, header, how
many rows) and turns each row into an `EntryDraft`, or into the reasons it cannot be one. The
rules an entry must meet on the case are the services' (`EntryRules`), the same as for a form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path

from masip.core.csvfile import FileRefused, Row, decode_csv, iter_rows, parse_date, read_header
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


def read_rows(data: bytes) -> list[Row]:
    """Every row of the file, or FileRefused for the file as a whole (nothing read is kept):
    too large, not a UTF-8 CSV file, a header masip cannot use, no rows, or too many rows."""
    if len(data) > MAX_BYTES:
        raise FileRefused(too_large_message())
    text = decode_csv(data, empty_message="The file is empty. Choose the incident log, with its header row.").text
    columns = read_header(
        text,
        known=COLUMNS,
        required=REQUIRED_COLUMNS,
        aliases=ALIASES,
        use_columns=f"Use the columns {', '.join(COLUMNS)} (header row first).",
    )
    rows = list(iter_rows(text, columns, max_rows=MAX_ROWS, too_many=too_many_rows_message()))
    if not rows:
        raise FileRefused("The file has a header row but no incidents under it. Check it is the right file.")
    return rows


_TIME = re.compile(r"^(\d{1,2})[:.](\d{2})(?::(\d{2}))?$")


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
