"""Reading a file of referrals exported from a police records system (docs/referral-import.md).

This module only reads: it checks the file as a whole (size, text, encoding, header) and turns
each row into what `referral_receive` takes, or into the reasons the row cannot be taken. It
writes nothing; `import_services` does.

Lenient where the meaning is clear (codes or labels, any case, surrounding spaces, DD/MM/YYYY
or ISO dates, yes/no/true/false), strict where it is not (an unknown column, a two-digit year,
a cell count that does not match the header).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.db import models
from django.utils import timezone

from masip.core import csvfile
from masip.core.csvfile import DecodedFile, Row, decode_csv, iter_rows, parse_date
from masip.referrals.models import Behaviour, Relationship, SubjectRole, Urgency
from masip.referrals.services import ReferralDraft, SubjectEntry

# Column names, in the order of the documented template. Headers are matched ignoring case,
# surrounding spaces, and spaces or hyphens in place of underscores.
SUBJECT_FIELDS = (
    "given_name",
    "family_name",
    "date_of_birth",
    "approximate_age",
    "gender",
    "pnc_id",
    "nhs_number",
    "address",
    "phone",
    "email",
)
COLUMNS = (
    "reference",
    "agency",
    "received_date",
    "urgency",
    "relationship",
    "behaviours",
    "crime_reference",
    "existing_orders",
    "consent_to_referral",
    "consent_to_referral_date",
    "consent_to_sharing",
    "consent_to_sharing_date",
    "summary",
    *(f"victim_{name}" for name in SUBJECT_FIELDS),
    "suspect_not_identified",
    *(f"suspect_{name}" for name in SUBJECT_FIELDS),
)
REQUIRED_COLUMNS = (
    "reference",
    "agency",
    "received_date",
    "consent_to_referral",
    "victim_given_name",
    "victim_family_name",
)


def decode_upload(data: bytes, *, windows_1252: bool = False) -> DecodedFile:
    """The file's text, or FileRefused (see masip.core.csvfile.decode_csv)."""
    return decode_csv(
        data,
        empty_message="The file is empty. Choose the file exported from your records system, with its header row.",
        windows_1252=windows_1252,
        windows_1252_offered=True,
    )


def read_header(text: str) -> list[str]:
    """The file's columns as masip names them, or FileRefused naming what is wrong."""
    return csvfile.read_header(
        text,
        known=COLUMNS,
        required=REQUIRED_COLUMNS,
        use_columns="Use the column names of the import guide (header row first).",
    )


def row_reference(row: Row) -> str:
    """The sender's own reference for the referral on this row."""
    return row.cells.get("reference", "").strip()


def count_rows(text: str, columns: list[str]) -> int:
    return sum(1 for _ in iter_rows(text, columns))


# Rows into referrals ---------------------------------------------------------------------------


@dataclass
class ParsedRow:
    draft: ReferralDraft | None = None
    agency_name: str = ""
    received_on: date | None = None
    errors: list[str] = field(default_factory=list)

    def received_at(self) -> datetime | None:
        if self.received_on is None:
            return None
        return timezone.make_aware(datetime.combine(self.received_on, time.min))


_TRUE = {"yes", "y", "true", "1"}
_FALSE = {"no", "n", "false", "0"}


def parse_yes_no(value: str, label: str, errors: list[str]) -> bool | None:
    text = value.strip().lower()
    if not text:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    errors.append(f"Write yes or no for {label}, not “{value.strip()}”.")
    return None


def parse_choice(value: str, choices: type[models.TextChoices], label: str, errors: list[str]) -> str:
    """The value of a choice given by its code or its label, in any case."""
    text = " ".join(value.split()).lower()
    if not text:
        return ""
    for code, name in choices.choices:
        if text in (str(code).lower(), str(name).lower()):
            return str(code)
    options = ", ".join(str(name).lower() for _, name in choices.choices)
    errors.append(f"The {label} “{value.strip()}” is not one masip knows. Use one of: {options}.")
    return ""


def _gender_choices() -> type[models.TextChoices]:
    from masip.people.models import Gender

    return Gender


def _subject(cells: Mapping[str, str], role: str, errors: list[str]) -> SubjectEntry | None:
    label = "victim" if role == SubjectRole.VICTIM else "suspect"
    values = {name: cells.get(f"{label}_{name}", "").strip() for name in SUBJECT_FIELDS}
    unidentified = False
    if role == SubjectRole.SUSPECT:
        unidentified = bool(parse_yes_no(cells.get("suspect_not_identified", ""), "suspect not identified", errors))
        if unidentified and any(values.values()):
            errors.append(
                "The suspect is marked as not identified but details of the suspect are given. Clear one or the other."
            )
            return None
    if not unidentified and not any(values.values()):
        return None
    age: int | None = None
    if values["approximate_age"]:
        if values["approximate_age"].isdigit():
            age = int(values["approximate_age"])
        else:
            errors.append(f"The {label}'s approximate age “{values['approximate_age']}” is not a whole number.")
    return SubjectEntry(
        role=role,
        unidentified=unidentified,
        given_name=values["given_name"],
        family_name=values["family_name"],
        date_of_birth=parse_date(values["date_of_birth"], f"{label}'s date of birth", errors),
        approximate_age=age,
        gender=parse_choice(values["gender"], _gender_choices(), f"{label}'s gender", errors),
        pnc_id=values["pnc_id"],
        nhs_number=values["nhs_number"].replace(" ", ""),
        address=values["address"],
        phone=values["phone"],
        email=values["email"],
    )


def _behaviours(value: str, errors: list[str]) -> tuple[str, ...]:
    found: list[str] = []
    for part in value.split(";"):
        if part.strip():
            code = parse_choice(part, Behaviour, "behaviour", errors)
            if code:
                found.append(code)
    return tuple(dict.fromkeys(found))


def parse_row(row: Row) -> ParsedRow:
    """What one row says, as a draft for `referral_receive`, or every reason it cannot be one.

    Only the form of each cell is checked here; what makes a referral whole (a victim's name,
    the consent answer, dates not after the referral) is the service's to say, so that a file
    and the API are held to the same rules.
    """
    if row.error:
        return ParsedRow(errors=[row.error])
    cells = row.cells
    errors: list[str] = []
    if not row_reference(row):
        errors.append("The reference is empty: every row needs the sender's own reference for the referral.")
    agency = " ".join(cells.get("agency", "").split())
    if not agency:
        errors.append("The agency is empty: give the name of the agency that made the referral.")
    received_on = parse_date(cells.get("received_date", ""), "received date", errors)
    if not cells.get("received_date", "").strip():
        errors.append("The received date is empty: give the date the referral was made, as DD/MM/YYYY.")
    elif received_on is not None and received_on > timezone.localdate():
        errors.append(f"The received date {received_on:%d/%m/%Y} is in the future. Check and correct it.")
    urgency = parse_choice(cells.get("urgency", ""), Urgency, "urgency", errors) or Urgency.ROUTINE
    subjects = [
        s for s in (_subject(cells, SubjectRole.VICTIM, errors), _subject(cells, SubjectRole.SUSPECT, errors)) if s
    ]
    draft = ReferralDraft(
        urgency=urgency,
        relationship=parse_choice(cells.get("relationship", ""), Relationship, "relationship", errors),
        behaviours=_behaviours(cells.get("behaviours", ""), errors),
        crime_reference=cells.get("crime_reference", "").strip(),
        existing_orders=cells.get("existing_orders", "").strip(),
        consent_to_referral=parse_yes_no(cells.get("consent_to_referral", ""), "consent to referral", errors),
        consent_to_referral_on=parse_date(
            cells.get("consent_to_referral_date", ""), "date of consent to referral", errors
        ),
        consent_to_sharing=parse_yes_no(cells.get("consent_to_sharing", ""), "consent to sharing", errors),
        consent_to_sharing_on=parse_date(
            cells.get("consent_to_sharing_date", ""), "date of consent to sharing", errors
        ),
        summary=cells.get("summary", "").strip(),
        external_reference=row_reference(row),
        subjects=tuple(subjects),
    )
    if errors:
        return ParsedRow(errors=errors)
    return ParsedRow(draft=draft, agency_name=agency, received_on=received_on)
