"""What django-axes keeps about failed sign-ins: enough to investigate, never the secrets typed."""

from __future__ import annotations

import logging

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from masip.accounts.models import Role
from tests.accounts.signin import post_code, post_password, wrong_code
from tests.factories import member

pytestmark = pytest.mark.django_db


def _stored_post_data(email: str) -> str:
    return "\n".join(AccessAttempt.objects.filter(username=email).values_list("post_data", flat=True))


def test_a_wrong_code_is_counted_but_not_stored():
    user = member(Role.CLINICIAN)
    code = wrong_code(TOTPDevice.objects.get(user=user))
    client = Client()
    post_password(client, user.email)
    post_code(client, code)
    stored = _stored_post_data(user.email)
    assert "code=" in stored  # the failure was recorded, with the field masked
    assert code not in stored


def test_a_wrong_password_is_counted_but_not_stored():
    user = member(Role.CLINICIAN)
    post_password(Client(), user.email, "my bank password by mistake")
    stored = _stored_post_data(user.email)
    assert "password=" in stored
    assert "my bank password" not in stored


def test_lockout_log_lines_name_no_account(caplog):
    user = member(Role.CLINICIAN)
    with caplog.at_level(logging.WARNING, logger="axes"):
        post_password(Client(), user.email, "wrong password")
    assert "login failure" in caplog.text
    assert user.email not in caplog.text
