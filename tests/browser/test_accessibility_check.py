"""The accessibility check itself: it finds a broken page (so a clean result means something),
and masip's own sign-in page, with and without its error summary, passes it."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from .accessibility import accessibility_violations

pytestmark = pytest.mark.browser


def test_the_check_finds_an_unlabelled_field_and_an_image_without_text(page: Any):
    page.set_content(
        '<html lang="en"><head><title>Broken</title></head><body><main><h1>Form</h1>'
        '<input type="text" name="q"><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
        "</main></body></html>"
    )
    rules = {violation.split(" ")[0] for violation in accessibility_violations(page)}
    assert {"label", "image-alt"} <= rules


def test_the_sign_in_page_passes_before_and_after_a_mistake(live_server: Any, transactional_db: None, page: Any):
    page.goto(live_server.url + reverse("accounts:login"))
    assert accessibility_violations(page) == []
    page.get_by_role("button", name="Continue").click()
    page.wait_for_selector(".govuk-error-summary")
    assert accessibility_violations(page) == []
