"""The import as deployed: tasks queued in the database and run by `manage.py db_worker`."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import override_settings

from masip.audit.verification import verify_chain
from masip.referrals.import_services import import_job_confirm, import_job_create
from masip.referrals.models import ImportJob, ImportStatus, Referral
from tests.factories import UnitFactory
from tests.referrals.import_helpers import csv_bytes, good_row, screener_in

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--interval", "0")


@pytest.mark.usefixtures("transactional_db")
@override_settings(TASKS=DATABASE_TASKS)
def test_the_worker_checks_then_imports_a_file():
    from django_tasks_db.models import DBTaskResult

    unit = UnitFactory()
    screener = screener_in(unit)
    data = csv_bytes([good_row("W-1"), good_row("W-2"), good_row("W-3", agency="Nowhere Police")])
    job = import_job_create(actor=screener, unit=unit, file_name="force-export.csv", data=data)
    assert ImportJob.unscoped.get(pk=job.pk).status == ImportStatus.CHECKING  # queued, not yet run

    run_worker()

    job.refresh_from_db()
    assert (job.status, job.to_create, job.already_received, job.rejected) == (ImportStatus.CHECKED, 2, 0, 1)
    assert not Referral.unscoped.exists()

    import_job_confirm(actor=screener, job=job)
    run_worker()

    job.refresh_from_db()
    assert (job.status, job.to_create, job.rejected, job.rows_done) == (ImportStatus.IMPORTED, 2, 1, 3)
    assert Referral.unscoped.filter(unit=unit).count() == 2
    assert job.content == ""
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
    # The dry run's undone rows left the audit chain whole.
    assert verify_chain().intact
