"""Signing in the way a person does: password form, then the code from their app."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from masip.accounts.models import User
from tests.factories import PASSWORD


def current_code(device: TOTPDevice) -> str:
    """The code the user's authenticator app shows now."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"


def wrong_code(device: TOTPDevice) -> str:
    """A well-formed code that is not valid in any step the device accepts now."""
    valid = {
        f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=d):06d}"
        for d in range(-device.tolerance - 1, device.tolerance + 2)
    }
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in valid)


def post_password(client: Client, email: str, password: str = PASSWORD, **extra: str):
    return client.post(reverse("accounts:login"), {"email": email, "password": password, **extra})


def post_code(client: Client, code: str, url_name: str = "accounts:second_factor"):
    return client.post(reverse(url_name), {"code": code})


def sign_in(user: User, client: Client | None = None) -> Client:
    """A client that has signed in through the real forms (password, then TOTP)."""
    client = client or Client()
    assert post_password(client, user.email).status_code == 302
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    response = post_code(client, current_code(device))
    assert response.status_code == 302, response.content
    return client
