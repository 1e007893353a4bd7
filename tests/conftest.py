"""Shared fixtures: signed-in, second-factor-verified clients for any role."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from masip.accounts.models import User
from tests.factories import UnitFactory, member


def verified_client(user: User) -> Client:
    """A client signed in as `user` who has passed the second factor (as after a real login)."""
    client = Client()
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    assert device is not None, "verified_client needs a user with a confirmed TOTP device"
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def unit() -> Any:
    return UnitFactory()


@pytest.fixture
def client_for() -> Callable[[User], Client]:
    return verified_client


@pytest.fixture
def member_of() -> Callable[..., User]:
    return member
