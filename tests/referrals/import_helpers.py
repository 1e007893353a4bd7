"""Building referral files and uploading them the way a screener does: through the pages."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from masip.accounts.models import Agency, Role, Unit, User
from masip.referrals.imports import COLUMNS
from masip.referrals.models import ImportJob
from tests.factories import AgencyFactory, member

POLICE = "Northshire Police"


def police_agency() -> Agency:
    return Agency.objects.filter(name=POLICE).first() or AgencyFactory(name=POLICE, kind="police")


def screener_in(unit: Unit) -> User:
    return member(Role.POLICE_INVESTIGATOR, unit=unit, agency=police_agency())


def good_row(reference: str, **overrides: str) -> dict[str, str]:
    today = timezone.localdate()
    row = {
        "reference": reference,
        "agency": POLICE,
        "received_date": (today - timedelta(days=3)).strftime("%d/%m/%Y"),
        "urgency": "Urgent",
        "relationship": "ex_intimate",
        "behaviours": "Following; turning_up",
        "crime_reference": f"CR/{reference}",
        "consent_to_referral": "yes",
        "consent_to_referral_date": (today - timedelta(days=3)).isoformat(),
        "consent_to_sharing": "Yes",
        "consent_to_sharing_date": (today - timedelta(days=3)).strftime("%d/%m/%Y"),
        "summary": "Follows her to work most mornings since the separation.",
        "victim_given_name": "Alice",
        "victim_family_name": f"Hart-{reference}",
        "victim_date_of_birth": "12/04/1990",
        "victim_gender": "female",
        "victim_phone": "07700 900111",
        "suspect_given_name": "Robert",
        "suspect_family_name": "Mason",
        "suspect_date_of_birth": date(1985, 2, 3).isoformat(),
    }
    row.update(overrides)
    return row


def csv_bytes(rows: list[dict[str, str]], *, columns: tuple[str, ...] = COLUMNS, encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({name: row.get(name, "") for name in columns})
    return out.getvalue().encode(encoding)


def upload(client: Client, data: bytes, *, name: str = "referrals.csv", **fields: Any) -> Any:
    return client.post(
        reverse("referrals:import_upload"), {"file": SimpleUploadedFile(name, data, "text/csv"), **fields}
    )


def latest_job(unit: Unit) -> ImportJob:
    return ImportJob.unscoped.filter(unit=unit).latest("created_at")
