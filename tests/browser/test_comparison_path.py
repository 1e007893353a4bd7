"""The cross-unit comparison in a real browser: an analyst of three units goes from the
dashboard to the comparison, picks March 2025 with the date pickers, unticks a unit, and reads
the tables with their small numbers suppressed."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from masip.accounts.models import Role
from tests.factories import MembershipFactory, member
from tests.reports.fixtures import build_world

from .signin import screenshot, sign_in

pytestmark = pytest.mark.browser


def test_an_analyst_compares_two_of_their_units_over_march(live_server: Any, transactional_db: None, page: Any):
    world = build_world()
    analyst = member(Role.ANALYST, unit=world.unit_a, full_name="Nadia Rahman")
    for unit in (world.unit_b, world.unit_c):
        MembershipFactory(user=analyst, unit=unit, role=Role.ANALYST)
    sign_in(page, live_server, analyst)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Unit dashboard").click()
    page.wait_for_url(live_server.url + reverse("reports:dashboard") + "*")
    page.get_by_role("link", name="Compare your units side by side").click()
    page.wait_for_url(live_server.url + reverse("reports:comparison"))
    assert page.get_by_role("heading", name="Compare units").count() == 1
    # Every unit is ticked to begin with; C has nothing to compare.
    for unit in (world.unit_a, world.unit_b, world.unit_c):
        assert page.get_by_label(unit.name, exact=True).is_checked()
    page.get_by_label(world.unit_c.name, exact=True).uncheck()
    page.get_by_label("From", exact=True).fill("2025-03-01")
    page.get_by_label("To", exact=True).fill("2025-03-31")
    page.get_by_role("button", name="Compare these units").click()
    page.wait_for_url("**/reports/compare/?*start=2025-03-01*")
    main = page.locator("main")
    summary = page.locator("#summary")
    assert world.unit_a.name in summary.inner_text()
    assert world.unit_c.name not in summary.inner_text()
    # B's single referral is under 5 and A's 9 is hidden with it (10 - 9 would give it away).
    received = page.locator("#referrals-received").inner_text()
    assert "<5" in received
    assert "*" in received
    assert "10" in received
    decisions = page.locator("#decisions").inner_text()
    assert "<5" in decisions
    assert "Not shown: fewer than 5" in page.locator("#rate-accepted").inner_text()
    assert "no chart" in page.locator("#chart-accepted-rate").inner_text()
    for case in world.cases.values():
        assert case.reference not in main.inner_text()
    assert not page.get_by_label(world.unit_c.name, exact=True).is_checked()
    screenshot(page, "comparison-march")
