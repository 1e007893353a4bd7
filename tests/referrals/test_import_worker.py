"""The import as deployed: tasks queued in the database and run by `manage.py db_worker`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings

from masip.audit.verification import verify_chain
from masip.referrals.import_services import import_job_confirm, import_job_create
from masip.referrals.models import ImportJob, ImportStatus, Referral
from tests.audit.tamper import set_audit_triggers
from tests.factories import UnitFactory
from tests.referrals.import_helpers import csv_bytes, good_row, screener_in

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture
def _audit_triggers_back(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    yield
    # Set up before pytest-django's database helper, so torn down after its flush.
    with django_db_blocker.unblock():
        set_audit_triggers(enabled=True)


@pytest.fixture
def transactional_db(_audit_triggers_back: None, transactional_db: None) -> Iterator[None]:
    """The worker commits as it goes, so the test runs outside a test transaction; the closing
    flush would be refused by the append-only audit triggers, lifted for that flush only."""
    yield
    set_audit_triggers(enabled=False)


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
