"""Importing an incident log: the dry run's line-by-line report, confirmation importing every row
in one transaction, files refused as a whole before anything is stored, and the sample file."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from masip.accounts.models import Role
from masip.audit.models import AuditAction, AuditEvent
from masip.core.csvfile import FileRefused
from masip.timeline.import_services import timeline_import_check, timeline_import_confirm
from masip.timeline.imports import MAX_ROWS, SAMPLE_FILE
from masip.timeline.models import EntrySource, ImportStatus, TimelineEntry, TimelineImport
from tests.conftest import verified_client
from tests.timeline.helpers import days_ago, on_team, with_victim

pytestmark = pytest.mark.django_db

HEADER = "date,time,until,behaviours,count,reported_by,reported_on,location,description\n"


@pytest.fixture
def team_case():
    case, user = on_team(Role.OUTREACH_WORKER)
    with_victim(case, date(1990, 5, 1))
    return case, user


def _upload(client, case, content: bytes, name: str = "log.csv"):
    url = reverse("timeline:import", kwargs={"case_id": case.pk})
    return client.post(url, {"file": SimpleUploadedFile(name, content, "text/csv"), "compartment": "team"})


def test_the_dry_run_stores_nothing_and_confirming_imports_every_row(team_case):
    case, user = team_case
    client = verified_client(user)
    response = _upload(client, case, SAMPLE_FILE.read_bytes())
    assert response.status_code == 302
    upload = TimelineImport.unscoped.get(case=case)
    assert upload.status == ImportStatus.CHECKED
    assert upload.total_rows == 5
    assert not TimelineEntry.unscoped.filter(case=case).exists()
    page = client.get(response["Location"]).content.decode()
    assert "Import 5 entries" in page
    response = client.post(reverse("timeline:import_confirm", kwargs={"case_id": case.pk, "log_id": upload.pk}))
    assert response.status_code == 302
    entries = TimelineEntry.unscoped.filter(case=case)
    assert entries.count() == 5
    assert set(entries.values_list("source", flat=True)) == {EntrySource.IMPORT}
    ranged = entries.get(occurred_until__isnull=False)
    assert (ranged.occurred_on, ranged.occurred_until, ranged.incidents) == (date(2025, 3, 10), date(2025, 3, 16), 6)
    upload.refresh_from_db()
    assert upload.status == ImportStatus.IMPORTED
    assert upload.content == ""
    assert upload.content_deleted_at is not None
    # A second click imports nothing again.
    client.post(reverse("timeline:import_confirm", kwargs={"case_id": case.pk, "log_id": upload.pk}))
    assert entries.count() == 5
    events = list(AuditEvent.objects.filter(object_id=str(upload.pk)).order_by("seq").values_list("action", "detail"))
    assert [action for action, _ in events] == [
        AuditAction.CREATE,
        AuditAction.VIEW,
        AuditAction.CREATE,
        AuditAction.CHANGE,
    ]
    assert events[2][1]["count"] == 5


def test_unknown_codes_are_reported_by_line_with_the_known_codes_and_nothing_is_kept(team_case):
    case, user = team_case
    day = days_ago(3).isoformat()
    content = (
        HEADER
        + f"{day},,,comm_text,1,,,,\n"
        + f"{day},,,texting;comm_phone,2,,,,\n"
        + f"{day},,,comm_text,1,,,,\n"
        + f"{day},,,stalking,1,,,,\n"
    ).encode()
    client = verified_client(user)
    response = _upload(client, case, content)
    upload = TimelineImport.unscoped.get(case=case)
    assert upload.status == ImportStatus.REFUSED
    assert upload.content == ""
    page = client.get(response["Location"]).content.decode()
    report = page.split('id="import-report"')[1]
    assert '<td class="govuk-table__cell">3</td>' in report
    assert '<td class="govuk-table__cell">5</td>' in report
    assert "“texting”" in report
    assert "“stalking”" in report
    assert "Use one of: comm_phone, comm_text" in report
    assert 'action="/cases/' not in report
    assert not TimelineEntry.unscoped.filter(case=case).exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty"),
        (b"date;behaviours\n2025-01-01;comm_text\n", "separated by semicolons"),
        (b"date,behaviours\n2025-01-01,comm_t\xe9xt\n", "not in UTF-8"),
        (b"PK\x03\x04rest", "Excel workbook"),
        (b"when,what\n2025-01-01,comm_text\n", "no “date” and “behaviours” columns"),
        (b"date,behaviours\n", "no incidents under it"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_with_a_message_and_nothing_stored(team_case, content, message):
    case, user = team_case
    page = _upload(verified_client(user), case, content).content.decode()
    assert message in page
    assert not TimelineImport.unscoped.exists()


def test_a_byte_order_mark_and_dd_mm_yyyy_dates_are_read(team_case):
    case, user = team_case
    content = "\ufeffDate,Behaviour codes,Count\n01/02/2025,comm_text,40\n".encode()
    upload = timeline_import_check(actor=user, case=case, compartment="team", file_name="log.csv", data=content)
    assert upload.status == ImportStatus.CHECKED
    timeline_import_confirm(actor=user, upload=upload)
    entry = TimelineEntry.unscoped.get(case=case)
    assert (entry.occurred_on, entry.incidents) == (date(2025, 2, 1), 40)


def test_a_100000_row_file_is_refused_quickly_before_anything_is_stored(team_case):
    case, user = team_case
    content = (HEADER + "2025-01-01,,,comm_text,1,,,,\n" * 100_000).encode()
    started = time.monotonic()
    with pytest.raises(FileRefused, match="more than 5,000 rows"):
        timeline_import_check(actor=user, case=case, compartment="team", file_name="big.csv", data=content)
    assert time.monotonic() - started < 3
    assert not TimelineImport.unscoped.exists()
    assert not AuditEvent.objects.filter(case_id=case.pk).exists()


def test_five_thousand_rows_import_in_a_few_seconds(team_case):
    case, user = team_case
    rows = "".join(
        f"{days_ago(1 + n % 300).isoformat()},21:{n % 60:02d},,comm_text;comm_phone,2,victim,,,Message {n}\n"
        for n in range(MAX_ROWS)
    )
    started = time.monotonic()
    upload = timeline_import_check(
        actor=user, case=case, compartment="team", file_name="big.csv", data=(HEADER + rows).encode()
    )
    checked = time.monotonic()
    assert upload.status == ImportStatus.CHECKED, upload.report[:500]
    timeline_import_confirm(actor=user, upload=upload)
    done = time.monotonic()
    assert TimelineEntry.unscoped.filter(case=case).count() == MAX_ROWS
    assert checked - started < 10
    assert done - checked < 15


def test_only_the_uploader_may_confirm(team_case):
    case, user = team_case
    _, colleague = on_team(Role.STALKING_ADVOCATE, case)
    upload = timeline_import_check(
        actor=user, case=case, compartment="team", file_name="log.csv", data=SAMPLE_FILE.read_bytes()
    )
    response = verified_client(colleague).post(
        reverse("timeline:import_confirm", kwargs={"case_id": case.pk, "log_id": upload.pk})
    )
    assert response.status_code == 403
    assert not TimelineEntry.unscoped.filter(case=case).exists()


def test_the_sample_file_is_the_documented_one_and_imports_cleanly(team_case):
    documented = Path(__file__).resolve().parents[2] / "docs" / "samples" / "incident-log-sample.csv"
    assert documented.read_bytes() == SAMPLE_FILE.read_bytes()
    case, user = team_case
    response = verified_client(user).get(reverse("timeline:import_sample", kwargs={"case_id": case.pk}))
    assert response.status_code == 200
    assert response.content == SAMPLE_FILE.read_bytes()
