"""The public training pages pass axe-core's automated accessibility check (WCAG 2.1 A and AA) in
Debian's chromium: the offer, the enquiry form empty and with errors, the thank-you page, and the
page that asks a flood to wait."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from masip.training.models import LearningOutcome, Topic, TopicKind, TrainingSettings
from tests.browser.accessibility import accessibility_violations
from tests.factories import UnitFactory

pytestmark = pytest.mark.browser

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop here

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package (CI does) to run browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        yield launched
        launched.close()


def violations(page: Any) -> list[str]:
    return accessibility_violations(page)


def test_the_public_pages_pass_axe(browser: Any, live_server: Any, transactional_db: None) -> None:
    unit = UnitFactory(code="nsu")
    TrainingSettings.objects.create(
        unit=unit, offer_published=True, enquiries_per_hour=1, offer_introduction="We train.\nAnywhere."
    )
    topic = Topic.objects.create(
        unit=unit, key="opening", title="A victim's story", kind=TopicKind.OPENING, min_minutes=20, max_minutes=30
    )
    LearningOutcome.objects.create(topic=topic, text="Recognise stalking")
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    base = f"{live_server.url}/training/"
    found: dict[str, list[str]] = {}

    page.goto(base)
    found["offer"] = violations(page)
    page.goto(f"{base}nsu/enquire/")
    found["form"] = violations(page)
    page.get_by_role("button", name="Send the enquiry").click()
    assert page.locator(".govuk-error-summary").is_visible()
    found["form with errors"] = violations(page)
    page.get_by_label("Name of your organisation").fill("Northshire Police")
    page.get_by_label("What kind of organisation is it?").select_option("police")
    page.get_by_label("Where is it?").select_option("london")
    page.get_by_label("Your name").fill("Sam Taylor")
    page.get_by_label("Email address").fill("sam@example.org")
    page.get_by_label("Managers").fill("4")
    page.get_by_role("button", name="Send the enquiry").click()
    assert "Enquiry sent" in page.content()
    found["sent"] = violations(page)
    page.goto(f"{base}nsu/enquire/")
    page.get_by_label("Name of your organisation").fill("Again")
    page.get_by_label("What kind of organisation is it?").select_option("police")
    page.get_by_label("Where is it?").select_option("london")
    page.get_by_label("Your name").fill("Sam Taylor")
    page.get_by_label("Email address").fill("sam@example.org")
    page.get_by_label("Managers").fill("4")
    page.get_by_role("button", name="Send the enquiry").click()
    assert "Please wait before sending another enquiry" in page.content()
    found["too many"] = violations(page)
    context.close()
    assert found == {name: [] for name in found}
