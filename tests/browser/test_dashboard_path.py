"""The unit dashboard in a real browser: an analyst opens it from the navigation, chooses a
period with the date pickers, and reads the charts and the tables that carry their numbers; a
period that ends before it starts is refused with a linked error."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from masip.accounts.models import Role
from tests.factories import member
from tests.reports.fixtures import build_world

from .signin import screenshot, sign_in

pytestmark = pytest.mark.browser


def test_an_analyst_reads_a_month_of_the_unit_on_the_dashboard(live_server: Any, transactional_db: None, page: Any):
    world = build_world()
    analyst = member(Role.ANALYST, unit=world.unit_a, full_name="Ravi Patel")
    sign_in(page, live_server, analyst)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Unit dashboard").click()
    page.wait_for_url(live_server.url + reverse("reports:dashboard"))
    page.get_by_label("From", exact=True).fill("2025-03-01")
    page.get_by_label("To", exact=True).fill("2025-03-31")
    page.get_by_role("button", name="Show this period").click()
    page.wait_for_url("**/reports/?*start=2025-03-01*")
    main = page.locator("main")
    assert "9 referrals received, 7 decided" in main.inner_text()
    # The chart is a picture with a text alternative, and its numbers are in a table too.
    chart = page.get_by_role("img", name="Referrals received each month")
    assert chart.count() == 1
    table = page.locator("#referrals-per-month")
    assert "Mar 2025" in table.inner_text()
    assert "9" in table.inner_text()
    for case in world.cases.values():
        assert case.reference not in main.inner_text()
    screenshot(page, "dashboard-march")

    page.get_by_label("From", exact=True).fill("2025-03-31")
    page.get_by_label("To", exact=True).fill("2025-03-01")
    page.get_by_role("button", name="Show this period").click()
    page.wait_for_load_state()
    summary = page.locator(".govuk-error-summary")
    assert "before it starts" in summary.inner_text()
    summary.get_by_role("link").first.click()
    assert page.evaluate("document.activeElement.id") == "id_end"
