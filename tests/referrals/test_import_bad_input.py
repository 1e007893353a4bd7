"""Files that are not what the import expects: each gets a message that says what to do, and
nothing is stored or imported."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse

from masip.core.csvfile import FileRefused
from masip.referrals.import_services import import_job_create
from masip.referrals.imports import COLUMNS
from masip.referrals.models import ImportJob, ImportStatus, Referral
from tests.conftest import verified_client
from tests.factories import UnitFactory
from tests.referrals.import_helpers import csv_bytes, good_row, latest_job, screener_in, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def unit():
    return UnitFactory()


@pytest.fixture
def client(unit):
    return verified_client(screener_in(unit))


def refused(client, data: bytes, **fields) -> str:
    response = upload(client, data, **fields)
    assert response.status_code in (200, 413)
    assert not ImportJob.unscoped.exists()
    page = response.content.decode()
    assert "There is a problem" in page
    return page


@override_settings(MASIP_IMPORT_MAX_BYTES=4096)
def test_a_file_over_the_limit_is_refused_before_it_is_read(client):
    data = csv_bytes([good_row(f"L-{n}") for n in range(400)])
    assert len(data) > 4096 + 64 * 1024
    response = upload(client, data)
    assert response.status_code == 413
    assert "larger than 4 KB" in response.content.decode()
    assert "Split it into smaller files" in response.content.decode()
    assert not ImportJob.unscoped.exists()


@override_settings(MASIP_IMPORT_MAX_BYTES=1024)
def test_a_file_over_the_limit_that_fits_the_declared_overhead_is_stopped_while_read(client):
    data = csv_bytes([good_row(f"L-{n}") for n in range(10)])
    assert 1024 < len(data) < 64 * 1024
    page = refused(client, data)
    assert "Split it into smaller files" in page


def test_the_limit_is_50_mb_by_default(settings):
    assert settings.MASIP_IMPORT_MAX_BYTES == 50 * 1024 * 1024


def test_the_service_refuses_an_oversized_file_too(unit, settings):
    settings.MASIP_IMPORT_MAX_BYTES = 10
    with pytest.raises(FileRefused, match="larger than"):
        import_job_create(actor=screener_in(unit), unit=unit, file_name="x.csv", data=csv_bytes([good_row("A")]))
    assert not ImportJob.unscoped.exists()


def test_a_binary_file_is_refused(client):
    assert "not a text file" in refused(client, b"reference,agency\x00\x01\x02\xff\n")


def test_an_excel_workbook_is_refused_with_what_to_do(client):
    page = refused(client, b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 100, name="referrals.xlsx")
    assert "Excel workbook" in page
    assert "CSV UTF-8" in page


def test_a_file_in_another_encoding_is_refused_unless_the_user_says_windows_1252(client, unit):
    data = csv_bytes([good_row("E-1", victim_given_name="Zoë", summary="Café \u2013 every day")], encoding="cp1252")
    page = refused(client, data)
    assert "not in UTF-8" in page
    assert "CSV UTF-8" in page

    assert upload(client, data, windows_1252="on").status_code == 302
    job = latest_job(unit)
    assert job.encoding == "windows-1252"
    assert job.to_create == 1
    client.post(reverse("referrals:import_confirm", kwargs={"import_id": job.pk}))
    referral = Referral.unscoped.get(unit=unit)
    assert referral.summary == "Café \u2013 every day"
    assert referral.subjects.get(role="victim").given_name == "Zoë"


def test_utf8_with_a_byte_order_mark_is_read(client, unit):
    data = "\ufeff".encode() + csv_bytes([good_row("B-1", victim_given_name="Siân")])
    assert upload(client, data).status_code == 302
    job = latest_job(unit)
    assert (job.status, job.to_create, job.rejected) == (ImportStatus.CHECKED, 1, 0)


def test_utf16_is_refused(client):
    assert "UTF-16" in refused(client, csv_bytes([good_row("U-1")]).decode().encode("utf-16"))


def test_missing_required_columns_are_all_named(client):
    columns = tuple(c for c in COLUMNS if c not in ("agency", "victim_family_name"))
    page = refused(client, csv_bytes([good_row("M-1")], columns=columns))
    assert "The file has no “agency” and “victim_family_name” columns." in page


def test_an_unknown_column_is_refused_rather_than_ignored(client):
    page = refused(client, csv_bytes([good_row("M-2")], columns=(*COLUMNS, "suspect_dob")))
    assert "does not know the column “suspect_dob”" in page


def test_headers_are_matched_leniently(client, unit):
    data = csv_bytes([good_row("H-1")])
    header, rest = data.split(b"\r\n", 1)
    lenient = header.replace(b"victim_given_name", b" Victim Given Name ").replace(b"received_date", b"RECEIVED-DATE")
    assert upload(client, lenient + b"\r\n" + rest).status_code == 302
    assert latest_job(unit).to_create == 1


def test_semicolon_separated_files_get_their_own_message(client):
    page = refused(client, b"reference;agency;received_date\nA;B;C\n")
    assert "separated by semicolons" in page


@pytest.mark.parametrize("data", [b"", b"   \r\n\r\n", b"\xef\xbb\xbf"])
def test_an_empty_file_is_refused(client, data):
    page = refused(client, data)
    assert "empty" in page


def test_a_header_without_rows_is_refused(client):
    assert "no referrals under it" in refused(client, csv_bytes([]))


def test_a_row_with_the_wrong_number_of_cells_is_rejected_alone(client, unit):
    data = csv_bytes([good_row("C-1"), good_row("C-2")]) + b"C-3,only,three\r\n"
    assert upload(client, data).status_code == 302
    job = latest_job(unit)
    assert (job.to_create, job.rejected) == (2, 1)
    page = client.get(reverse("referrals:import_detail", kwargs={"import_id": job.pk})).content.decode()
    assert "The line has 3 cells but the header has" in page


def test_an_unclosed_quote_refuses_the_file_with_its_line(client):
    rows = csv_bytes([good_row("Q-3"), good_row("Q-4")]).split(b"\r\n", 1)[1]
    data = csv_bytes([good_row("Q-1")]) + b'Q-2,"Northshire Police\r\n' + rows
    page = refused(client, data)
    assert "Line 3 cannot be read as CSV" in page
    assert "Check the quotes on that line" in page
    assert not Referral.unscoped.exists()


def test_a_missing_reference_or_agency_is_a_clear_row_error(client, unit):
    data = csv_bytes([good_row(""), good_row("A-2", agency=" ")])
    assert upload(client, data).status_code == 302
    job = latest_job(unit)
    assert job.rejected == 2
    page = client.get(reverse("referrals:import_detail", kwargs={"import_id": job.pk})).content.decode()
    assert "The reference is empty" in page
    assert "The agency is empty" in page


def test_unknown_choices_name_the_value_and_the_options(client, unit):
    data = csv_bytes([good_row("K-1", behaviours="following; waving"), good_row("K-2", urgency="asap")])
    assert upload(client, data).status_code == 302
    page = client.get(reverse("referrals:import_detail", kwargs={"import_id": latest_job(unit).pk})).content.decode()
    assert "The behaviour “waving” is not one masip knows" in page
    assert "The urgency “asap” is not one masip knows. Use one of: routine, urgent, immediate." in page


def test_an_unidentified_suspect_with_details_is_ambiguous_and_rejected(client, unit):
    data = csv_bytes(
        [
            good_row(
                "S-1",
                suspect_not_identified="yes",
                suspect_given_name="",
                suspect_family_name="",
                suspect_date_of_birth="",
            ),
            good_row("S-2", suspect_not_identified="yes"),
        ]
    )
    assert upload(client, data).status_code == 302
    job = latest_job(unit)
    assert (job.to_create, job.rejected) == (1, 1)
