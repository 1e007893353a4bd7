"""The public feedback form in a real browser, checked with axe-core: blank, with errors, sent,
and when its link is closed. (The form works with the keyboard and a screen reader because it is
plain GOV.UK markup: every group of radios is a fieldset with a legend.)"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from masip.training.models import FeedbackResponse
from tests.browser import conftest as browser_fixtures
from tests.browser.accessibility import accessibility_violations
from tests.factories import UnitFactory
from tests.training.feedback_world import catalogue, delivery

pytestmark = pytest.mark.browser

# Debian's chromium through Playwright, as in tests/browser (its conftest does not reach here).
browser = browser_fixtures.browser
page = browser_fixtures.page


def _violations(page: Any) -> list[str]:
    return accessibility_violations(page)


def test_the_feedback_form_passes_axe_blank_with_errors_and_sent(
    live_server: Any,
    transactional_db: None,
    page: Any,
):
    unit = UnitFactory()
    world = catalogue(unit)
    target = delivery(unit, agenda=world.agenda, title="Stalking awareness for SPOCs")
    url = live_server.url + reverse("training:feedback", kwargs={"feedback_token": target.feedback_token})

    page.goto(url)
    assert page.locator("h1").count() == 1
    assert _violations(page) == []

    page.get_by_role("button", name="Send feedback").click()
    summary = page.locator(".govuk-error-summary")
    assert "Select how confident you were before the session about “Name the stalking offences”." in (
        summary.inner_text()
    )
    assert _violations(page) == []

    for outcome in world.outcomes.values():
        if outcome.retired:
            continue
        page.get_by_role("group", name=f"{outcome.text}: how confident were you before the session?").get_by_label(
            "2", exact=True
        ).check()
        page.get_by_role("group", name=f"{outcome.text}: how confident were you after the session?").get_by_label(
            "5 (very confident)"
        ).check()
    page.get_by_label("Any comments on the session (optional)").fill("<b>Clear</b> and useful")
    page.get_by_role("button", name="Send feedback").click()
    assert "Thank you for your feedback" in page.locator("main").inner_text()
    assert _violations(page) == []
    assert FeedbackResponse.objects.get(delivery=target).comments == "<b>Clear</b> and useful"

    page.goto(url)
    assert "You have already given feedback on this session. Thank you." in page.locator("main").inner_text()


def test_a_closed_link_passes_axe(live_server: Any, transactional_db: None, page: Any):
    target = delivery(UnitFactory(), on=timezone.localdate() - timedelta(days=30), closes_in=14)
    page.goto(live_server.url + reverse("training:feedback", kwargs={"feedback_token": target.feedback_token}))
    assert "This feedback link closed on" in page.locator("main").inner_text()
    assert _violations(page) == []
