"""Importing a file of referrals: the dry run writes nothing, the import takes every good row
and reports every bad one by line, a second import of the same file creates nothing twice."""

from __future__ import annotations

import csv
import io

import pytest
from django.db.models import TextField
from django.db.models.functions import Cast
from django.test import override_settings
from django.urls import reverse

from masip.accounts.models import Role
from masip.audit.models import AuditEvent
from masip.referrals.models import Channel, ImportJob, ImportStatus, Referral, ReferralStatus, ReferralSubject
from tests.conftest import verified_client
from tests.factories import AgencyFactory, UnitFactory, member
from tests.referrals.import_helpers import POLICE, csv_bytes, good_row, latest_job, screener_in, upload

pytestmark = pytest.mark.django_db


def _file() -> bytes:
    return csv_bytes(
        [
            good_row("NP-1"),
            good_row("NP-2", victim_given_name="Beth"),
            good_row("NP-3", agency="Wessex Constabulary"),
            good_row("NP-4", victim_date_of_birth="31/02/1990"),
        ]
    )


def _checked(client, unit, data: bytes | None = None) -> ImportJob:
    response = upload(client, data or _file())
    assert response.status_code == 302, response.content.decode()[:2000]
    job = latest_job(unit)
    assert job.status == ImportStatus.CHECKED
    return job


def _confirm(client, job: ImportJob) -> ImportJob:
    response = client.post(reverse("referrals:import_confirm", kwargs={"import_id": job.pk}))
    assert response.status_code == 302
    job.refresh_from_db()
    return job


def test_the_dry_run_reports_what_would_happen_and_writes_nothing():
    unit = UnitFactory()
    client = verified_client(screener_in(unit))
    audit_rows = AuditEvent.objects.count()

    job = _checked(client, unit)

    assert (job.total_rows, job.to_create, job.already_received, job.rejected) == (4, 2, 0, 2)
    assert not Referral.unscoped.filter(unit=unit).exists()
    assert not ReferralSubject.unscoped.filter(referral__unit=unit).exists()
    # Only the upload and the finished check are audited: the rolled-back rows left no trace.
    assert list(AuditEvent.objects.filter(seq__gt=audit_rows).values_list("object_type", "detail__event")) == [
        ("referrals.importjob", "checked"),
        ("referrals.importjob", "uploaded"),
    ]
    page = client.get(reverse("referrals:import_detail", kwargs={"import_id": job.pk})).content.decode()
    assert "2 referrals would be created" in page
    assert "Unknown agency “Wessex Constabulary”" in page
    assert "“31/02/1990” is not a real date" in page
    assert ">4<" in page  # the line of the impossible date (header is line 1)
    assert "Import the referrals" in page


def test_the_import_creates_the_good_rows_and_reports_the_bad_by_line():
    unit = UnitFactory()
    screener = screener_in(unit)
    client = verified_client(screener)
    job = _confirm(client, _checked(client, unit))

    assert job.status == ImportStatus.IMPORTED
    assert (job.to_create, job.already_received, job.rejected) == (2, 0, 2)
    referrals = list(Referral.unscoped.filter(unit=unit).order_by("external_reference"))
    assert [r.external_reference for r in referrals] == ["NP-1", "NP-2"]
    first = referrals[0]
    assert first.channel == Channel.IMPORT
    assert first.status == ReferralStatus.RECEIVED
    assert first.source_agency.name == POLICE
    assert first.referred_by == screener
    assert first.urgency == "urgent"
    assert first.behaviours == ["following", "turning_up"]
    assert ReferralSubject.unscoped.filter(referral=first).count() == 2
    # The file is gone once the import has finished; the report stays.
    assert job.content == ""
    assert job.content_deleted_at is not None

    report = client.get(reverse("referrals:import_report", kwargs={"import_id": job.pk}))
    rows = list(csv.DictReader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert [(r["line"], r["reference"], r["outcome"]) for r in rows] == [
        ("2", "NP-1", "Created"),
        ("3", "NP-2", "Created"),
        ("4", "NP-3", "Rejected"),
        ("5", "NP-4", "Rejected"),
    ]
    assert rows[0]["masip_referral"] == first.reference
    assert "Unknown agency" in rows[2]["reason"]


def test_importing_the_same_file_again_creates_nothing_twice():
    unit = UnitFactory()
    client = verified_client(screener_in(unit))
    _confirm(client, _checked(client, unit))

    again = _confirm(client, _checked(client, unit))

    assert (again.to_create, again.already_received, again.rejected) == (0, 2, 2)
    assert Referral.unscoped.filter(unit=unit).count() == 2


def test_a_changed_row_under_a_used_reference_is_rejected_and_changes_nothing():
    unit = UnitFactory()
    client = verified_client(screener_in(unit))
    _confirm(client, _checked(client, unit, csv_bytes([good_row("NP-7")])))
    original = Referral.unscoped.get(unit=unit, external_reference="NP-7")

    changed = csv_bytes([good_row("NP-7", summary="Now he also sends gifts."), good_row("NP-8")])
    job = _confirm(client, _checked(client, unit, changed))

    assert (job.to_create, job.already_received, job.rejected) == (1, 0, 1)
    page = client.get(reverse("referrals:import_detail", kwargs={"import_id": job.pk})).content.decode()
    assert f"Referral {original.reference} was already received from {POLICE}" in page
    assert "with different content. Nothing was changed" in page
    original.refresh_from_db()
    assert original.summary == good_row("NP-7")["summary"]


def test_a_reference_repeated_in_one_file_makes_one_referral():
    unit = UnitFactory()
    client = verified_client(screener_in(unit))
    data = csv_bytes([good_row("NP-9"), good_row("NP-9"), good_row("NP-9", summary="Different")])
    checked = _checked(client, unit, data)
    assert (checked.to_create, checked.already_received, checked.rejected) == (1, 1, 1)

    job = _confirm(client, checked)

    assert (job.to_create, job.already_received, job.rejected) == (1, 1, 1)
    assert Referral.unscoped.filter(unit=unit).count() == 1


def test_each_row_agency_is_the_source_and_one_reference_may_be_used_by_two_agencies():
    unit = UnitFactory()
    AgencyFactory(name="Wessex Constabulary", kind="police")
    client = verified_client(screener_in(unit))
    data = csv_bytes([good_row("X-1"), good_row("X-1", agency="  wessex   CONSTABULARY ")])

    job = _confirm(client, _checked(client, unit, data))

    assert job.to_create == 2
    assert sorted(Referral.unscoped.filter(unit=unit).values_list("source_agency__name", flat=True)) == [
        POLICE,
        "Wessex Constabulary",
    ]


def test_impossible_dates_are_rejected_with_the_reason():
    unit = UnitFactory()
    client = verified_client(screener_in(unit))
    data = csv_bytes(
        [
            good_row("D-1", victim_date_of_birth="01/01/2099", received_date="01/03/2024"),
            good_row("D-2", received_date="01/01/2999"),
            good_row("D-3", received_date="01/03/24"),
        ]
    )
    job = _checked(client, unit, data)

    assert job.rejected == 3
    page = client.get(reverse("referrals:import_detail", kwargs={"import_id": job.pk})).content.decode()
    assert "date of birth of Alice Hart-D-1 is after the referral date" in page
    assert "received date 01/01/2999 is in the future" in page
    assert "two-digit year" in page


def test_formula_text_is_stored_as_typed_and_neutralised_in_the_report():
    unit = UnitFactory()
    client = verified_client(screener_in(unit))
    formula = '=HYPERLINK("http://evil.example/","Click")'
    data = csv_bytes([good_row("F-1", summary=formula), good_row(formula, victim_date_of_birth="not a date")])

    job = _confirm(client, _checked(client, unit, data))

    assert Referral.unscoped.get(unit=unit, external_reference="F-1").summary == formula
    report = client.get(reverse("referrals:import_report", kwargs={"import_id": job.pk})).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(report)))
    assert rows[2][1] == "'" + formula
    assert not any(cell.lstrip().startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_the_uploaded_file_is_encrypted_at_rest():
    unit = UnitFactory()
    client = verified_client(screener_in(unit))
    job = _checked(client, unit)

    content, report = (
        ImportJob.unscoped.filter(pk=job.pk)
        .values_list(Cast("content", TextField()), Cast("report", TextField()))
        .get()
    )
    assert content.startswith("enc1:")
    assert "Hart-NP-1" not in content
    assert "Wessex" not in report
    assert "Hart-NP-1" in ImportJob.unscoped.get(pk=job.pk).content


def test_cancelling_deletes_the_file_and_imports_nothing():
    unit = UnitFactory()
    client = verified_client(screener_in(unit))
    job = _checked(client, unit)

    response = client.post(reverse("referrals:import_cancel", kwargs={"import_id": job.pk}))

    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportStatus.CANCELLED
    assert job.content == ""
    assert client.post(reverse("referrals:import_confirm", kwargs={"import_id": job.pk})).status_code == 302
    job.refresh_from_db()
    assert job.status == ImportStatus.CANCELLED
    assert not Referral.unscoped.filter(unit=unit).exists()


def test_only_the_uploader_can_confirm():
    unit = UnitFactory()
    job = _checked(verified_client(screener_in(unit)), unit)
    colleague = verified_client(member(Role.UNIT_MANAGER, unit=unit))

    response = colleague.post(reverse("referrals:import_confirm", kwargs={"import_id": job.pk}), follow=True)

    assert "Only the person who uploaded this file can import it" in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKED
    assert not Referral.unscoped.filter(unit=unit).exists()


@pytest.mark.parametrize(
    "role", [Role.OUTREACH_WORKER, Role.STALKING_ADVOCATE, Role.SUPPORT_OFFICER, Role.PARTNER_REFERRER, Role.ANALYST]
)
def test_roles_that_do_not_screen_referrals_cannot_import(role):
    unit = UnitFactory()
    client = verified_client(member(role, unit=unit))

    assert client.get(reverse("referrals:import_upload")).status_code == 403
    assert upload(client, _file()).status_code == 403
    assert not ImportJob.unscoped.exists()


def test_another_units_import_is_not_found():
    unit = UnitFactory()
    job = _checked(verified_client(screener_in(unit)), unit)
    outsider = verified_client(screener_in(UnitFactory()))

    for name in ("import_detail", "import_report", "import_progress"):
        assert outsider.get(reverse(f"referrals:{name}", kwargs={"import_id": job.pk})).status_code == 404
    assert outsider.post(reverse("referrals:import_confirm", kwargs={"import_id": job.pk})).status_code == 404


def test_the_progress_block_counts_rows_and_asks_for_a_reload_when_done():
    unit = UnitFactory()
    client = verified_client(screener_in(unit))
    job = _checked(client, unit)
    url = reverse("referrals:import_progress", kwargs={"import_id": job.pk})

    ImportJob.unscoped.filter(pk=job.pk).update(status=ImportStatus.IMPORTING, rows_done=3)
    running = client.get(url, HTTP_HX_REQUEST="true")
    assert "3 of 4 rows done (75%)" in running.content.decode()
    assert "HX-Refresh" not in running

    ImportJob.unscoped.filter(pk=job.pk).update(status=ImportStatus.IMPORTED)
    assert client.get(url, HTTP_HX_REQUEST="true")["HX-Refresh"] == "true"


def test_a_file_nobody_imports_is_deleted_after_the_retention_period(settings):
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    unit = UnitFactory()
    client = verified_client(screener_in(unit))
    job = _checked(client, unit)
    fresh = _checked(client, unit)
    ImportJob.unscoped.filter(pk=job.pk).update(
        updated_at=timezone.now() - settings.MASIP_IMPORT_RETENTION - timedelta(minutes=1)
    )

    call_command("expire_referral_imports", stdout=io.StringIO())

    job.refresh_from_db()
    fresh.refresh_from_db()
    assert (job.status, job.content) == (ImportStatus.EXPIRED, "")
    assert fresh.status == ImportStatus.CHECKED
    assert client.post(reverse("referrals:import_confirm", kwargs={"import_id": job.pk})).status_code == 302
    assert not Referral.unscoped.filter(unit=unit).exists()


def test_the_row_agency_is_the_source_of_a_received_referral():
    from masip.referrals.services import ExternalReferenceConflict, referral_receive
    from tests.referrals.helpers import complete_draft

    unit = UnitFactory()
    screener = screener_in(unit)
    force = AgencyFactory(name="Wessex Constabulary")
    referral, created = referral_receive(
        actor=screener,
        unit=unit,
        draft=complete_draft(external_reference="W-1"),
        channel=Channel.IMPORT,
        source_agency=force,
    )
    assert created
    assert (referral.source_agency, referral.referred_by) == (force, screener)
    # Idempotent within the source agency, not the importer's.
    again, created = referral_receive(
        actor=screener,
        unit=unit,
        draft=complete_draft(external_reference="W-1"),
        channel=Channel.IMPORT,
        source_agency=force,
    )
    assert (again.pk, created) == (referral.pk, False)
    with pytest.raises(ExternalReferenceConflict):
        referral_receive(
            actor=screener,
            unit=unit,
            draft=complete_draft(external_reference="W-1", summary="Other"),
            channel=Channel.IMPORT,
            source_agency=force,
        )
    own, created = referral_receive(
        actor=screener, unit=unit, draft=complete_draft(external_reference="W-1"), channel=Channel.API
    )
    assert created
    assert own.source_agency == screener.agency


def test_the_navigation_leads_screeners_to_imports():
    unit = UnitFactory()
    page = verified_client(screener_in(unit)).get(reverse("referrals:import_list")).content.decode()
    assert 'href="/referrals/imports/"' in page
    assert "Referral imports" in page
    outreach = verified_client(member(Role.OUTREACH_WORKER, unit=unit)).get("/accounts/profile/").content.decode()
    assert "Referral imports" not in outreach


def test_a_file_cancelled_while_it_is_checked_stays_cancelled():
    from masip.referrals.import_services import import_job_cancel, import_job_create

    unit = UnitFactory()
    screener = screener_in(unit)
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}):
        job = import_job_create(actor=screener, unit=unit, file_name="a.csv", data=_file())
    loaded_by_worker = ImportJob.unscoped.get(pk=job.pk)
    import_job_cancel(actor=screener, job=job)

    # The worker had loaded the job before the cancel; its pass finishes afterwards.
    from masip.referrals.import_services import _run

    _run(loaded_by_worker, screener, dry_run=True)

    job.refresh_from_db()
    assert (job.status, job.content) == (ImportStatus.CANCELLED, "")
