"""Shared fixtures: signed-in, second-factor-verified clients for any role."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from masip.accounts.models import User
from tests.audit.tamper import set_audit_triggers
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
def _audit_triggers_back(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    yield
    # Set up before pytest-django's database helper, so torn down after its flush.
    with django_db_blocker.unblock():
        set_audit_triggers(enabled=True)


@pytest.fixture
def transactional_db(_audit_triggers_back: None, transactional_db: None) -> Iterator[None]:
    """pytest-django's transactional_db (the live server and tests across connections need it),
    whose closing flush deletes audit rows, which the append-only triggers refuse: they are
    lifted for that flush only."""
    yield
    set_audit_triggers(enabled=False)


@pytest.fixture
def unit() -> Any:
    return UnitFactory()


@pytest.fixture
def client_for() -> Callable[[User], Client]:
    return verified_client


@pytest.fixture
def member_of() -> Callable[..., User]:
    return member
