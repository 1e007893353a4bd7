"""Signing in and out in a real browser, as a person does: password, then the code from their app."""

from __future__ import annotations

import re
import time
from typing import Any

from django.conf import settings
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from masip.accounts.models import User
from tests.accounts.signin import current_code
from tests.factories import PASSWORD

SCREENSHOTS = settings.BASE_DIR / "var" / "screenshots"


def sign_in_with_password(page: Any, server: Any, email: str) -> None:
    page.goto(server.url + reverse("accounts:login"))
    page.fill("#id_email", email)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Continue").click()


def fresh_code(device: TOTPDevice) -> str:
    """The code the app shows once it differs from the last one used: django-otp accepts each
    code once, so a second sign-in within the same 30 seconds waits for the next code."""
    device.refresh_from_db()
    while int((time.time() - device.t0) // device.step) <= device.last_t:
        time.sleep(0.5)
    return current_code(device)


def sign_in(page: Any, server: Any, user: User) -> None:
    """Sign in through the password page and the second-factor page, landing on home."""
    sign_in_with_password(page, server, user.email)
    page.wait_for_url(re.compile(re.escape(reverse("accounts:second_factor"))))
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    home = server.url + reverse("home")
    # On a slow machine a code typed at the very end of its 30 seconds can be refused as the
    # one already used; a person would then type the next code, and so does this.
    for _ in range(2):
        page.fill("#id_code", fresh_code(device))
        with page.expect_navigation():
            page.get_by_role("button", name="Sign in").click()
        if page.url == home:
            return
    page.wait_for_url(home)


def sign_out(page: Any, server: Any) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(re.escape(reverse("accounts:login"))))


def screenshot(page: Any, name: str) -> None:
    """A full-page screenshot in var/screenshots/ (not committed), to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
