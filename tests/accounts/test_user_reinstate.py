"""Reinstating a suspended account: system administrators of the person's unit only, audited."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from masip.accounts import services
from masip.accounts.models import MembershipStatus, Role, User
from masip.audit.models import AuditAction, AuditEvent
from tests.accounts.signin import post_password
from tests.conftest import verified_client
from tests.factories import MembershipFactory, UnitFactory, member

pytestmark = pytest.mark.django_db


def _url(user: User) -> str:
    return reverse("accounts:user_reinstate", kwargs={"user_id": user.pk})


def _admin_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=AuditAction.ADMIN).order_by("seq"))


def _is_active(user: User) -> bool:
    return User.objects.get(pk=user.pk).is_active


def test_suspend_then_reinstate_lets_them_sign_in_again_but_not_back_into_old_sessions():
    unit = UnitFactory()
    admin = member(Role.SYSTEM_ADMINISTRATOR, unit=unit)
    officer = member(Role.CLINICIAN, unit=unit)
    officer_client = verified_client(officer)
    client = verified_client(admin)
    client.post(reverse("accounts:user_suspend", kwargs={"user_id": officer.pk}))
    assert not _is_active(officer)
    assert post_password(Client(), officer.email).status_code == 200  # refused while suspended

    assert client.get(_url(officer)).status_code == 200
    response = client.post(_url(officer))

    assert response["Location"] == reverse("accounts:members")
    assert _is_active(officer)
    assert post_password(Client(), officer.email)["Location"] == reverse("accounts:second_factor")
    assert officer_client.get(reverse("accounts:profile")).status_code == 302  # ended by the suspension
    event = _admin_events()[-1]
    assert (event.actor_id, event.unit_id, event.object_id) == (admin.pk, unit.pk, str(officer.pk))
    assert (event.fields, event.detail) == (["is_active"], {"operation": "user_reinstate"})


def test_reinstating_leaves_separately_suspended_roles_suspended():
    unit = UnitFactory()
    admin = member(Role.SYSTEM_ADMINISTRATOR, unit=unit)
    officer = member(Role.CLINICIAN, unit=unit, is_active=False)
    officer.memberships.update(status=MembershipStatus.SUSPENDED)
    services.user_reinstate(actor=admin, user=officer)
    assert _is_active(officer)
    assert officer.memberships.get().status == MembershipStatus.SUSPENDED


def test_reinstating_an_active_account_says_so_and_writes_nothing():
    unit = UnitFactory()
    officer = member(Role.CLINICIAN, unit=unit)
    client = verified_client(member(Role.SYSTEM_ADMINISTRATOR, unit=unit))
    assert "This account is not suspended" in client.get(_url(officer)).content.decode()
    response = client.post(_url(officer), follow=True)
    assert "account is not suspended, so there is nothing to reinstate" in response.content.decode()
    assert _is_active(officer)
    assert not _admin_events()


def test_only_a_system_administrator_of_their_unit_may_reinstate():
    unit = UnitFactory()
    officer = member(Role.CLINICIAN, unit=unit, is_active=False)
    assert verified_client(member(Role.UNIT_MANAGER, unit=unit)).post(_url(officer)).status_code == 403
    assert verified_client(member(Role.SYSTEM_ADMINISTRATOR)).post(_url(officer)).status_code == 404
    assert not _is_active(officer)
    assert not _admin_events()
    assert AuditEvent.objects.filter(action=AuditAction.DENIED, object_type="accounts.user").count() == 1


def test_the_service_checks_scope_itself():
    officer = member(Role.CLINICIAN, is_active=False)
    with pytest.raises(PermissionDenied):
        services.user_reinstate(actor=member(Role.SYSTEM_ADMINISTRATOR), user=officer)
    with pytest.raises(PermissionDenied):
        services.user_reinstate(actor=member(Role.UNIT_MANAGER, unit=officer.memberships.get().unit), user=officer)
    assert not _is_active(officer)


def test_members_page_marks_suspended_accounts_and_offers_reinstatement_to_administrators():
    unit = UnitFactory()
    admin = member(Role.SYSTEM_ADMINISTRATOR, unit=unit)
    manager = member(Role.UNIT_MANAGER, unit=unit)
    suspended = member(Role.CLINICIAN, unit=unit, is_active=False)
    active = member(Role.OUTREACH_WORKER, unit=unit)
    suspend_active = reverse("accounts:user_suspend", kwargs={"user_id": active.pk})

    as_admin = verified_client(admin).get(reverse("accounts:members")).content.decode()
    assert "Account suspended" in as_admin
    assert _url(suspended) in as_admin
    assert _url(active) not in as_admin
    assert suspend_active in as_admin

    as_manager = verified_client(manager).get(reverse("accounts:members")).content.decode()
    assert "Account suspended" in as_manager
    assert _url(suspended) not in as_manager
    assert suspend_active not in as_manager


def test_account_links_follow_the_unit_where_the_viewer_administers_accounts():
    administered, managed = UnitFactory(), UnitFactory()
    viewer = member(Role.SYSTEM_ADMINISTRATOR, unit=administered)
    MembershipFactory(user=viewer, unit=managed, role=Role.UNIT_MANAGER)
    inside = member(Role.CLINICIAN, unit=administered, is_active=False)
    outside = member(Role.CLINICIAN, unit=managed, is_active=False)
    page = verified_client(viewer).get(reverse("accounts:members")).content.decode()
    assert _url(inside) in page
    assert _url(outside) not in page  # the reinstate page would not find them
