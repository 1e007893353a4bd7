"""Evaluation exports in a real browser: the unit manager creates an export key, goes from the
dashboard to the export form, leaves out the purpose and is told what to enter, then downloads
the ZIP (cases file, data dictionary, README) and finds the export on the list of disclosures."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from masip.accounts.models import Role
from masip.reports.models import EvaluationExport
from tests.factories import member
from tests.reports.fixtures import build_world

from .signin import screenshot, sign_in

pytestmark = pytest.mark.browser


def test_the_unit_manager_makes_a_pseudonymised_export(live_server: Any, transactional_db: None, page: Any):
    world = build_world()
    manager = member(Role.UNIT_MANAGER, unit=world.unit_a, full_name="Sam Okafor")
    sign_in(page, live_server, manager)
    page.goto(live_server.url + reverse("reports:export_keys"))
    page.get_by_label("Name of the new key").fill("University evaluation 2025")
    page.get_by_role("button", name="Create the key").click()
    page.wait_for_load_state()
    assert "University evaluation 2025" in page.locator("#keys").inner_text()

    page.goto(live_server.url + reverse("reports:dashboard"))
    page.get_by_role("link", name="Evaluation exports").click()
    page.get_by_role("link", name="Make an export").click()
    page.get_by_label("From", exact=True).fill("2025-03-01")
    page.get_by_label("To", exact=True).fill("2025-03-31")
    page.get_by_label("Export key").select_option(label="University evaluation 2025")
    page.get_by_label("Recipient").fill("Dr R Evans, University of Anytown")
    page.get_by_role("button", name="Download the export").click()
    page.wait_for_load_state()
    summary = page.locator(".govuk-error-summary")
    assert "Enter the purpose of the export" in summary.inner_text()
    screenshot(page, "export-missing-purpose")

    page.get_by_label("Purpose").fill("Process evaluation, ethics ref 2025/17")
    page.get_by_label("Parquet").check()
    with page.expect_download() as waiting:
        page.get_by_role("button", name="Download the export").click()
    download = waiting.value
    assert download.suggested_filename.endswith(".zip")
    content = Path(download.path()).read_bytes()
    names = set(zipfile.ZipFile(io.BytesIO(content)).namelist())
    assert names == {"cases.parquet", "data_dictionary.csv", "README.txt"}
    record = EvaluationExport.objects.get()
    assert (record.rows, record.file_format, record.identified) == (6, "parquet", False)

    page.goto(live_server.url + reverse("reports:exports"))
    listed = page.locator("#exports").inner_text()
    assert "Dr R Evans, University of Anytown" in listed
    assert record.sha256 in listed
    for case in world.cases.values():
        assert case.reference not in page.locator("main").inner_text()
    screenshot(page, "exports-list")
