"""`manage.py create_administrator`: the first system administrator of a fresh install."""

from __future__ import annotations

import re
from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from masip.accounts.models import Membership, Role, User
from masip.audit.models import AuditAction, AuditEvent
from tests.accounts.signin import post_password

pytestmark = pytest.mark.django_db

PASSWORD = "first administrator passphrase 9"
ARGS = [
    "--email=Admin@Example.org",
    "--name=Alex Admin",
    "--unit-code=CHS",
    "--unit-name=Cheshire Stalking Unit",
    "--agency-name=Cheshire Constabulary",
]


def _create() -> str:
    out = StringIO()
    call_command("create_administrator", *ARGS, stdout=out)
    match = re.search(r"^(http\S+)$", out.getvalue(), re.MULTILINE)
    assert match, out.getvalue()
    return urlsplit(match.group(1)).path


def test_prints_a_one_time_link_that_sets_the_password():
    path = _create()
    user = User.objects.get(email="admin@example.org")
    assert not user.has_usable_password()
    assert Membership.objects.get(user=user).role == Role.SYSTEM_ADMINISTRATOR
    assert AuditEvent.objects.filter(action=AuditAction.ADMIN, detail__operation="administrator_create").exists()

    response = Client().post(path, {"full_name": "Alex Admin", "password1": PASSWORD, "password2": PASSWORD})
    assert response["Location"] == reverse("accounts:login")
    assert post_password(Client(), "admin@example.org", PASSWORD)["Location"] == reverse("accounts:second_factor")


def test_running_again_replaces_the_link_until_a_password_is_set():
    first, second = _create(), _create()
    assert Client().get(first).status_code == 404
    Client().post(second, {"full_name": "Alex Admin", "password1": PASSWORD, "password2": PASSWORD})
    with pytest.raises(CommandError, match="already has an account with a password"):
        _create()
    assert User.objects.count() == 1
