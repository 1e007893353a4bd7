"""Sessions end when they should: idle timeout, sign out, sign out everywhere; the current unit."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from masip.accounts.middleware import IDLE_MESSAGE, CurrentMembershipMiddleware
from masip.accounts.models import MembershipStatus, Role
from masip.audit.models import AuditAction, AuditEvent
from tests.accounts.signin import post_password, sign_in
from tests.conftest import verified_client
from tests.factories import MembershipFactory, UnitFactory, member

pytestmark = pytest.mark.django_db


def _signed_in(client: Client) -> bool:
    response = client.get(reverse("accounts:profile"))
    return response.status_code == 200


def test_idle_session_is_signed_out_with_a_message_and_audited():
    user = member(Role.CLINICIAN)
    client = sign_in(user)
    assert _signed_in(client)
    session = client.session
    session["masip_last_seen"] = (timezone.now() - timedelta(minutes=16)).isoformat()
    session.save()

    response = client.get(reverse("accounts:profile"), follow=True)
    assert response.redirect_chain[0][0].startswith(reverse("accounts:login"))
    assert IDLE_MESSAGE in response.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.SESSION_EXPIRED, actor=user).count() == 1
    assert not _signed_in(client)


def test_session_used_within_the_idle_limit_carries_on():
    user = member(Role.CLINICIAN)
    client = sign_in(user)
    session = client.session
    session["masip_last_seen"] = (timezone.now() - timedelta(minutes=14)).isoformat()
    session.save()
    assert _signed_in(client)
    assert not AuditEvent.objects.filter(action=AuditAction.SESSION_EXPIRED).exists()


def test_sign_out_needs_a_post_and_is_audited():
    user = member(Role.CLINICIAN)
    client = sign_in(user)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert _signed_in(client)
    response = client.post(reverse("accounts:logout"))
    assert response["Location"] == reverse("accounts:login")
    assert not _signed_in(client)
    assert AuditEvent.objects.filter(action=AuditAction.LOGOUT, actor=user).exists()


def test_sign_out_everywhere_ends_the_other_browsers_session():
    user = member(Role.CLINICIAN)
    laptop = sign_in(user)
    phone = verified_client(user)  # a second session (a real second sign-in would need the next code)
    assert _signed_in(laptop)
    assert _signed_in(phone)
    response = laptop.post(reverse("accounts:logout_everywhere"))
    assert response["Location"] == reverse("accounts:login")
    assert not _signed_in(phone)
    assert not _signed_in(laptop)
    event = AuditEvent.objects.filter(action=AuditAction.ADMIN, actor=user).get()
    assert (event.fields, event.detail["operation"]) == (["session_epoch"], "user_logout_everywhere")
    assert post_password(Client(), user.email).status_code == 302  # signing in again works


def test_switch_unit_to_a_unit_of_mine():
    user = member(Role.CLINICIAN)
    other = UnitFactory()
    MembershipFactory(user=user, unit=other, role=Role.OUTREACH_WORKER)
    client = sign_in(user)
    response = client.post(reverse("accounts:switch_unit"), {"unit": other.pk})
    assert response.status_code == 302
    assert client.session[CurrentMembershipMiddleware.SESSION_KEY] == other.pk


@pytest.mark.parametrize("which", ["someone else's unit", "suspended role", "nonsense"])
def test_switch_unit_refuses_units_where_i_have_no_active_role(which):
    user = member(Role.CLINICIAN)
    mine = user.memberships.get().unit
    if which == "someone else's unit":
        target = str(UnitFactory().pk)
    elif which == "suspended role":
        suspended = MembershipFactory(user=user, role=Role.OUTREACH_WORKER, status=MembershipStatus.SUSPENDED)
        target = str(suspended.unit_id)
    else:
        target = "'; drop table"
    client = sign_in(user)
    response = client.post(reverse("accounts:switch_unit"), {"unit": target}, follow=True)
    assert response.status_code == 200
    assert "You can only work in a unit where you have an active role" in response.content.decode()
    assert client.session[CurrentMembershipMiddleware.SESSION_KEY] == mine.pk


def test_profile_lists_my_roles():
    user = member(Role.CLINICIAN)
    extra = MembershipFactory(user=user, role=Role.TRAINER)
    page = sign_in(user).get(reverse("accounts:profile")).content.decode()
    assert extra.unit.name in page
    assert "Trainer" in page
    assert "Clinician" in page


def test_switch_unit_goes_back_to_the_page_it_was_made_on_but_never_off_site():
    user = member(Role.CLINICIAN)
    other = MembershipFactory(user=user, role=Role.OUTREACH_WORKER).unit
    client = sign_in(user)
    url = reverse("accounts:switch_unit")
    back = client.post(url, {"unit": other.pk}, HTTP_REFERER="http://testserver/accounts/profile/?tab=roles")
    assert back["Location"] == "/accounts/profile/?tab=roles"  # the path only: never another host
    away = client.post(url, {"unit": other.pk}, HTTP_REFERER="https://evil.example/")
    assert away["Location"] == reverse("home")


def test_the_last_request_time_is_written_at_most_once_a_minute():
    user = member(Role.CLINICIAN)
    client = sign_in(user)
    assert _signed_in(client)
    first = client.session["masip_last_seen"]
    assert _signed_in(client)
    assert client.session["masip_last_seen"] == first  # a page within the minute writes nothing
    session = client.session
    session["masip_last_seen"] = (timezone.now() - timedelta(minutes=2)).isoformat()
    session.save()
    assert _signed_in(client)
    assert timezone.now() - datetime.fromisoformat(client.session["masip_last_seen"]) < timedelta(seconds=5)
