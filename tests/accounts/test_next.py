"""Where masip sends someone back to (`?next=`, the Referer): a path on this site, or home.

Never another site, and never a server error for a value that is not a URL at all.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from masip.accounts.middleware import CurrentMembershipMiddleware
from masip.accounts.models import Role
from tests.accounts.signin import current_code, post_password, sign_in
from tests.conftest import verified_client
from tests.factories import MembershipFactory, member

pytestmark = pytest.mark.django_db

HOME = reverse("home")
BARE_WORDS = ["foo", "cases", "home", "accounts:profile", "x" * 50]
OFF_SITE = [
    "//evil.example",
    "https://evil.example",
    "https://evil.example/steal",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "https:/evil.example",
    "/\t/evil.example",
    " //evil.example",
    "///evil.example",
]
# Pages link to `next` as a bare path; a full URL, even of this site, is not taken from it.
NOT_A_PATH = [*BARE_WORDS, *OFF_SITE, "http://testserver/accounts/profile/"]


def _client() -> Client:
    client = Client()
    client.raise_request_exception = False  # a 500 is an answer to assert on, not an exception
    return client


@pytest.mark.parametrize("next_url", NOT_A_PATH)
def test_sign_in_page_of_a_signed_in_user_goes_home(next_url):
    client = verified_client(member(Role.POLICE_INVESTIGATOR))
    client.raise_request_exception = False
    response = client.get(reverse("accounts:login"), {"next": next_url})
    assert response.status_code == 302
    assert response["Location"] == HOME


@pytest.mark.parametrize("next_url", NOT_A_PATH)
def test_second_factor_goes_home(next_url):
    user = member(Role.POLICE_INVESTIGATOR)
    client = _client()
    post_password(client, user.email)
    url = f"{reverse('accounts:second_factor')}?next={next_url}"
    response = client.post(url, {"code": current_code(TOTPDevice.objects.get(user=user)), "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == HOME


@pytest.mark.parametrize("next_url", NOT_A_PATH)
def test_password_step_drops_a_next_that_is_not_a_path(next_url):
    user = member(Role.POLICE_INVESTIGATOR)
    response = post_password(_client(), user.email, next=next_url)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:second_factor")


def test_a_path_of_this_site_is_followed_through_both_steps():
    user = member(Role.POLICE_INVESTIGATOR)
    client = _client()
    wanted = "/accounts/profile/?tab=roles"
    after_password = post_password(client, user.email, next=wanted)
    response = client.post(after_password["Location"], {"code": current_code(TOTPDevice.objects.get(user=user))})
    assert response["Location"] == wanted


@pytest.mark.parametrize("referer", [*BARE_WORDS, *OFF_SITE, "http://[", "http://evil.example/accounts/profile/"])
def test_switch_unit_with_a_referer_that_is_not_this_site_goes_home(referer):
    user = member(Role.CLINICIAN)
    other = MembershipFactory(user=user, role=Role.OUTREACH_WORKER).unit
    client = sign_in(user)
    client.raise_request_exception = False
    response = client.post(reverse("accounts:switch_unit"), {"unit": other.pk}, HTTP_REFERER=referer)
    assert response.status_code == 302
    assert response["Location"] == HOME
    assert client.session[CurrentMembershipMiddleware.SESSION_KEY] == other.pk  # the switch itself happened


@pytest.mark.parametrize("next_url", NOT_A_PATH)
def test_switch_unit_with_a_bad_next_goes_home(next_url):
    user = member(Role.CLINICIAN)
    unit = user.memberships.get().unit
    client = verified_client(user)
    client.raise_request_exception = False
    response = client.post(reverse("accounts:switch_unit"), {"unit": unit.pk, "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == HOME


@pytest.mark.parametrize("next_url", NOT_A_PATH)
def test_sign_out_with_a_bad_next_goes_to_plain_sign_in(next_url):
    client = verified_client(member(Role.CLINICIAN))
    client.raise_request_exception = False
    response = client.post(reverse("accounts:logout"), {"next": next_url})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
