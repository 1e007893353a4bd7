"""Signing in: the refusals a person relies on, and the audit rows each one writes."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from masip.accounts.forms import SIGN_IN_REFUSED, WRONG_CODE
from masip.accounts.middleware import CurrentMembershipMiddleware
from masip.accounts.models import MembershipStatus, Role
from masip.accounts.views import LOCKED_OUT_MESSAGE
from masip.audit.models import AuditAction, AuditEvent
from tests.accounts.signin import current_code, post_code, post_password, sign_in, wrong_code
from tests.factories import PASSWORD, MembershipFactory, UnitFactory, UserFactory, member

pytestmark = pytest.mark.django_db

_VARYING = re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]+|(nonce=")[^"]+|("X-CSRFToken": ")[^"]+')


def _page(response, email: str) -> bytes:
    """The page without what differs on every response (CSRF token, CSP nonce) or is echoed back."""
    return _VARYING.sub(rb"\1\2\3", response.content).replace(email.encode(), b"EMAIL")


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def _is_signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


# --- the password step ------------------------------------------------------------------


def test_unknown_user_wrong_password_suspended_and_service_account_get_the_same_page():
    user = member(Role.CLINICIAN)
    suspended = member(Role.CLINICIAN, is_active=False)
    service = member(Role.PARTNER_REFERRER, is_service_account=True)
    attempts = [
        ("nobody@example.org", PASSWORD),
        (user.email, "not the password at all"),
        (suspended.email, PASSWORD),
        (service.email, PASSWORD),
    ]
    responses = [post_password(Client(), email, password) for email, password in attempts]
    assert {r.status_code for r in responses} == {200}
    assert all(SIGN_IN_REFUSED in r.content.decode() for r in responses)
    assert len({_page(r, email) for r, (email, _) in zip(responses, attempts, strict=True)}) == 1
    assert len(_events(AuditAction.LOGIN_FAILED)) == 4
    assert not _events(AuditAction.LOGIN)


def test_failed_sign_in_logs_the_account_but_never_an_unknown_name():
    user = member(Role.CLINICIAN)
    post_password(Client(), user.email, "wrong password")
    post_password(Client(), "my-password-typed-in-the-wrong-box@example.org", "x")
    known, unknown = _events(AuditAction.LOGIN_FAILED)
    assert (known.object_type, known.object_id) == ("accounts.user", str(user.pk))
    assert (unknown.object_type, unknown.object_id) == ("", "")
    assert "wrong-box" not in str(unknown.detail)


def test_service_account_with_the_right_password_is_not_signed_in():
    service = member(Role.PARTNER_REFERRER, is_service_account=True)
    client = Client()
    response = post_password(client, service.email, PASSWORD)
    assert response.status_code == 200
    assert not _is_signed_in(client)
    assert _events(AuditAction.LOGIN_FAILED)[-1].detail["reason"] == "service account cannot sign in on the web"


def test_account_whose_every_role_is_suspended_cannot_sign_in():
    user = member(Role.CLINICIAN)
    user.memberships.update(status=MembershipStatus.SUSPENDED)
    client = Client()
    assert SIGN_IN_REFUSED in post_password(client, user.email).content.decode()
    assert not _is_signed_in(client)


def test_email_is_matched_whatever_its_case():
    user = member(Role.CLINICIAN)
    response = post_password(Client(), user.email.upper())
    assert response["Location"] == reverse("accounts:second_factor")


def test_password_sign_in_rotates_the_session_key_then_asks_for_the_code():
    user = member(Role.CLINICIAN)
    client = Client()
    before = client.session.session_key  # an anonymous session, as an attacker could plant one
    response = post_password(client, user.email)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:second_factor")
    after_password = client.session.session_key
    assert after_password != before
    post_code(client, current_code(TOTPDevice.objects.get(user=user)))
    assert client.session.session_key not in (before, after_password)
    assert [e.detail["step"] for e in _events(AuditAction.LOGIN)] == ["password", "second_factor"]


def test_password_alone_reaches_no_page():
    user = member(Role.UNIT_MANAGER)
    client = Client()
    post_password(client, user.email)
    response = client.get(reverse("accounts:members"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:second_factor")


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/accounts/profile/", "/accounts/profile/"),
        ("https://evil.example/steal", "/"),
        ("//evil.example/steal", "/"),
    ],
)
def test_next_is_followed_only_to_pages_of_this_site(next_url, expected):
    user = member(Role.CLINICIAN)
    client = Client()
    response = client.post(
        f"{reverse('accounts:login')}?next={next_url}", {"email": user.email, "password": PASSWORD, "next": next_url}
    )
    assert response.status_code == 302
    response = client.post(response["Location"], {"code": current_code(TOTPDevice.objects.get(user=user))})
    assert response["Location"] == expected


# --- the second factor ------------------------------------------------------------------


def test_right_code_signs_in_and_chooses_the_first_unit():
    unit = UnitFactory(name="Aardvark Unit")
    user = member(Role.CLINICIAN)
    MembershipFactory(user=user, unit=unit, role=Role.OUTREACH_WORKER)
    client = sign_in(user)
    assert client.session[CurrentMembershipMiddleware.SESSION_KEY] == unit.pk
    assert client.get(reverse("home")).status_code == 200
    login = _events(AuditAction.LOGIN)[-1]
    assert (login.actor_id, login.unit_id, login.detail["step"]) == (user.pk, unit.pk, "second_factor")


def test_replayed_code_is_refused():
    user = member(Role.CLINICIAN)
    device = TOTPDevice.objects.get(user=user)
    code = current_code(device)
    first = Client()
    post_password(first, user.email)
    assert post_code(first, code).status_code == 302

    second = Client()  # someone who watched the code being typed
    post_password(second, user.email)
    response = post_code(second, code)
    assert response.status_code == 200
    assert WRONG_CODE in response.content.decode()
    assert DEVICE_ID_SESSION_KEY not in second.session
    assert second.get(reverse("accounts:profile")).status_code == 302
    failed = _events(AuditAction.LOGIN_FAILED)[-1]
    assert failed.detail["reason"] == "wrong or reused second-factor code"
    assert failed.object_id == str(user.pk)


def test_badly_formed_code_is_explained_without_counting_as_a_failure():
    user = member(Role.CLINICIAN)
    client = Client()
    post_password(client, user.email)
    response = post_code(client, "12ab")
    assert "Enter the 6-digit code" in response.content.decode()
    assert not _events(AuditAction.LOGIN_FAILED)


def test_user_without_an_app_is_sent_to_set_one_up():
    user = UserFactory()
    MembershipFactory(user=user)
    client = Client()
    post_password(client, user.email)
    response = client.get(reverse("accounts:second_factor"))
    assert response["Location"] == reverse("accounts:enrol")


def test_first_sign_in_enrols_an_authenticator_app():
    user = UserFactory()
    MembershipFactory(user=user)
    client = Client()
    post_password(client, user.email)
    page = client.get(reverse("accounts:enrol"))
    assert page.status_code == 200
    assert 'src="data:image/svg+xml' in page.content.decode()
    device = TOTPDevice.objects.get(user=user)
    assert not device.confirmed
    shown = page.context["secret"].replace(" ", "")
    assert shown in device.config_url  # the key typed by hand is the one in the QR code

    assert client.get(reverse("accounts:enrol")).context["secret"] == page.context["secret"]  # reload keeps it
    response = post_code(client, current_code(device), "accounts:enrol")
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("accounts:profile")).status_code == 200
    assert _events(AuditAction.ADMIN)[-1].detail["operation"] == "totp_device_confirm"
    assert _events(AuditAction.LOGIN)[-1].detail == {"step": "second_factor", "enrolled": True}


def test_wrong_code_at_enrolment_leaves_the_app_unconfirmed():
    user = UserFactory()
    MembershipFactory(user=user)
    client = Client()
    post_password(client, user.email)
    client.get(reverse("accounts:enrol"))
    device = TOTPDevice.objects.get(user=user)
    response = post_code(client, wrong_code(device), "accounts:enrol")
    assert WRONG_CODE in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed


def test_someone_with_only_the_password_cannot_enrol_a_second_app():
    user = member(Role.CLINICIAN)
    client = Client()
    post_password(client, user.email)
    response = client.get(reverse("accounts:enrol"))
    assert response["Location"] == reverse("accounts:second_factor")
    assert TOTPDevice.objects.filter(user=user).count() == 1


# --- lockout ----------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_account_even_for_the_right_password():
    user = member(Role.CLINICIAN)
    client = Client()
    responses = [post_password(client, user.email, f"wrong {n}") for n in range(settings.AXES_FAILURE_LIMIT)]
    assert [r.status_code for r in responses[:-1]] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    assert responses[-1].status_code == 429
    assert LOCKED_OUT_MESSAGE in responses[-1].content.decode()

    response = post_password(Client(), user.email, PASSWORD)  # from another browser, right password
    assert response.status_code == 429
    assert not _is_signed_in(client)
    locked = _events(AuditAction.LOCKED_OUT)
    assert len(locked) == 2
    assert locked[0].object_id == str(user.pk)


def test_five_wrong_codes_lock_the_account_and_end_the_half_signed_in_session():
    user = member(Role.CLINICIAN)
    device = TOTPDevice.objects.get(user=user)
    client = Client()
    post_password(client, user.email)
    statuses = [post_code(client, wrong_code(device)).status_code for _ in range(settings.AXES_FAILURE_LIMIT)]
    assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    assert not _is_signed_in(client)
    assert post_password(Client(), user.email).status_code == 429
    assert len(_events(AuditAction.LOGIN_FAILED)) == settings.AXES_FAILURE_LIMIT + 1
    assert _events(AuditAction.LOCKED_OUT)


def test_typing_the_right_password_again_does_not_clear_the_wrong_codes():
    # Someone who has the password must not get unlimited code guesses by signing in again
    # with it between guesses (axes would otherwise reset the count on every right password).
    user = member(Role.CLINICIAN)
    device = TOTPDevice.objects.get(user=user)
    client = Client()
    statuses = []
    for guesses in (2, 2, 1):
        assert post_password(client, user.email).status_code == 302
        statuses += [post_code(client, wrong_code(device)).status_code for _ in range(guesses)]
    assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    assert not _is_signed_in(client)
    assert post_password(Client(), user.email).status_code == 429


def test_a_full_sign_in_clears_earlier_failures():
    user = member(Role.CLINICIAN)
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        post_password(Client(), user.email, f"wrong {n}")
    sign_in(user)
    assert post_password(Client(), user.email, "wrong again").status_code == 200


def test_lockout_callable_matches_what_axes_calls():
    from axes.helpers import get_lockout_response

    user = member(Role.CLINICIAN)
    request = Client().get(reverse("accounts:login")).wsgi_request
    response = get_lockout_response(request, None, {"username": user.email})
    assert response.status_code == 429
    assert LOCKED_OUT_MESSAGE in response.content.decode()


# --- forged requests --------------------------------------------------------------------


def test_sign_in_without_csrf_token_is_refused_and_audited():
    user = member(Role.CLINICIAN)
    client = Client(enforce_csrf_checks=True)
    response = post_password(client, user.email)
    assert response.status_code == 403
    assert not _is_signed_in(client)
    assert _events(AuditAction.DENIED)[-1].detail["reason"] == "csrf"
    assert not _events(AuditAction.LOGIN)


def test_sign_in_with_tampered_csrf_token_is_refused_and_audited():
    user = member(Role.CLINICIAN)
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("accounts:login"))
    real = client.cookies[settings.CSRF_COOKIE_NAME].value
    tampered = ("A" if real[0] != "A" else "B") + real[1:]
    response = post_password(client, user.email, csrfmiddlewaretoken=tampered)
    assert response.status_code == 403
    assert not _is_signed_in(client)
    assert _events(AuditAction.DENIED)[-1].detail["reason"] == "csrf"


def test_sign_in_with_the_real_csrf_token_works():
    # Guards the two tests above: they fail for the missing token, not for something else.
    user = member(Role.CLINICIAN)
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("accounts:login"))
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    assert post_password(client, user.email, csrfmiddlewaretoken=token).status_code == 302
