"""A person signs in through a real browser: password, then the code from their authenticator app."""

from __future__ import annotations

import base64
import re

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from masip.accounts.forms import WRONG_CODE
from masip.accounts.models import Role
from tests.accounts.signin import current_code, wrong_code
from tests.factories import MembershipFactory, UnitFactory, UserFactory, member

from .signin import SCREENSHOTS, sign_in_with_password

pytestmark = pytest.mark.browser

SCREENSHOT = SCREENSHOTS / "login.png"


def test_sign_in_with_password_and_code_lands_on_home_in_my_unit(live_server, page):
    unit = UnitFactory(name="Cheshire Stalking Unit")
    user = member(Role.STALKING_ADVOCATE, unit=unit)
    device = TOTPDevice.objects.get(user=user)

    sign_in_with_password(page, live_server, user.email)
    page.wait_for_url(re.compile(re.escape(reverse("accounts:second_factor"))))
    page.fill("#id_code", current_code(device))
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url(live_server.url + reverse("home"))
    assert "Cheshire Stalking Unit" in page.inner_text("body")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)


def test_first_sign_in_sets_up_the_app_from_the_key_on_the_page(live_server, page):
    unit = UnitFactory(name="Wessex Stalking Unit")
    user = UserFactory()
    MembershipFactory(user=user, unit=unit, role=Role.CLINICIAN)

    sign_in_with_password(page, live_server, user.email)
    page.wait_for_url(re.compile(re.escape(reverse("accounts:enrol"))))
    assert page.locator("img[src^='data:image/svg+xml']").is_visible()
    secret = page.inner_text("#totp-secret").replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    page.fill("#id_code", f"{totp(key):06d}")
    page.get_by_role("button", name="Confirm and sign in").click()

    page.wait_for_url(live_server.url + reverse("home"))
    assert "Wessex Stalking Unit" in page.inner_text("body")
    assert TOTPDevice.objects.get(user=user).confirmed


def test_wrong_code_shows_what_to_do(live_server, page):
    user = member(Role.POLICE_INVESTIGATOR)
    device = TOTPDevice.objects.get(user=user)

    sign_in_with_password(page, live_server, user.email)
    page.wait_for_url(re.compile(re.escape(reverse("accounts:second_factor"))))
    page.fill("#id_code", wrong_code(device))
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_load_state()
    assert WRONG_CODE in page.inner_text("main")
    assert reverse("accounts:second_factor") in page.url
